import { createInterface } from 'node:readline';

/** One line from the terminal; `hidden` does not echo it (passwords). */
export function ask(question: string, hidden = false): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: process.stdin.isTTY,
    });
    if (hidden && process.stdin.isTTY) {
      // readline writes what is typed through _writeToOutput: print the prompt only
      const r = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
      r._writeToOutput = (s: string) => {
        if (s.startsWith(question)) r.output.write(question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden && process.stdin.isTTY) process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false; // no one to ask: --yes is needed
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim());
}

/** All of stdin (a password piped in), without the trailing newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
