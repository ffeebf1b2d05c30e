// The CLI's output collector for the tests: the environment it reads, whether stderr is a terminal, and what it wrote.
export function collector(env: Record<string, string | undefined> = {}, tty = false) {
  const io = {
    env,
    tty,
    stdout: '',
    stderr: '',
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
  };
  return io;
}
