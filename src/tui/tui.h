/* The interactive view: proftop's default command. */
#ifndef PROFTOP_TUI_H
#define PROFTOP_TUI_H

#include "cli.h"

/* Launch or attach as o says, show the profile live until the user quits.
 * Returns the exit status: 0, 1 after a one-line error (printed before the
 * screen opens, or after it closed), 2 for a usage error. */
int tui_run(const struct options *o);

#endif
