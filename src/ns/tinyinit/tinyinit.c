/* cloison's --init: a tiny PID 1 for the jail.  Built static and embedded in
 * cloison; run from a sealed memfd so /proc/1/exe inside the jail is never the
 * host's cloison binary (CVE-2019-5736).
 *
 * argv: cloison-init CHILD_PID.  The command was already started by cloison as
 * CHILD_PID (pid 2); we forward signals to it, reap every zombie, and exit with
 * its status (128+N when a signal killed it). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t all;
	int status;

	if (argc < 2)
		return CL_EXIT_FAILURE;
	child = (pid_t)atoi(argv[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGTTIN || s == SIGTTOU ||
		    s == SIGTSTP)
			continue;
		sigaction(s, &sa, NULL);
	}
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (;;) {
		pid_t p = waitpid(-1, &status, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			return CL_EXIT_FAILURE; /* ECHILD: the command is gone without our seeing it
						 */
		}
		if (p == child)
			return cl_exit_status(status);
	}
}
