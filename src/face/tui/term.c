/* The terminfo check before anything starts. Apart because <term.h>
 * defines macros (lines, columns...) that clash with ordinary names. */
#include "config.h"

#include <unistd.h>

#include "tui-priv.h"

#include <term.h> /* last: its macros would rename fields in our headers */

bool tui_term_known(void)
{
	TERMINAL *saved = cur_term;
	int err = 0;

	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return false;
	del_curterm(cur_term);
	set_curterm(saved);
	return true;
}
