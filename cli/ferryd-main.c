/* ferryd: ferry's SSH server, with sshd's command line (-D -d -e -f -h -o -p -t). */
#include "cli/ferryd.h"

int main(int argc, char **argv)
{
	return ferryd_main(argc, argv);
}
