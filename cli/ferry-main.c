/* ferry: the command-line entry point; dispatches to the subcommands. */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ferry " FERRY_VERSION "\n");
	return 255;
}
