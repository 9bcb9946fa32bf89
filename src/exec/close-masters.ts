/**
 * bash that closes the pty masters it inherited from stepgate. node-pty leaves each terminal's
 * master open across exec (node-pty 1.1.0 sets no FD_CLOEXEC, and node cannot), so every
 * process stepgate starts after a shell holds that shell's terminal: a step as another user,
 * or a `run:` check, could read it or type into it. Builtins only: no process is started.
 */
export const CLOSE_INHERITED_MASTERS =
  'for __sg_f in /proc/$$/fd/*; do __sg_n=${__sg_f##*/}; if [ "$__sg_n" -gt 2 ] 2>/dev/null && [[ $__sg_f -ef /dev/ptmx || $__sg_f -ef /dev/pts/ptmx ]]; then builtin eval "exec $__sg_n>&-"; fi; done 2>/dev/null; unset __sg_f __sg_n';
