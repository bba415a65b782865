#ifndef CALLS_LIB_H
#define CALLS_LIB_H
void lib_seven(unsigned long i);
void lib_once(unsigned long i);
#endif
