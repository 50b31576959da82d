/* STUB: replaced by the front-end's implementation. */
#include <stdio.h>
int main(void) { fputs("aerohost: not implemented yet\n", stderr); return 3; }
