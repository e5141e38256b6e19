/* A shared library that is not a Whittle model: it exports none of the
 * model_abi.h entry points. */
int not_a_model(void) { return 42; }
