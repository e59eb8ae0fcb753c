/* ferryd's entry point: options, configuration, host keys, the listener. */
#ifndef FERRY_CLI_FERRYD_H
#define FERRY_CLI_FERRYD_H

int ferryd_main(int argc, char **argv);

#endif
