// The lab gives each "pod" an address of its own on loopback (127.0.0.11 and up; .10 is
// the ClusterIP, .9 l7's proxy).
// Linux has all of 127.0.0.0/8 on `lo`; macOS has only 127.0.0.1 until aliases are
// added. Checked up front, so a laptop gets the missing addresses and the command
// that adds them instead of an address error halfway through a run.
import * as net from "node:net";

/** Whether `host` can be bound here (EADDRNOTAVAIL: no interface has it). */
function bindable(host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRNOTAVAIL" ? resolve(false) : reject(error)));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

export async function missingAddresses(hosts: readonly string[]): Promise<string[]> {
  const ok = await Promise.all(hosts.map(bindable));
  return hosts.filter((_, i) => !ok[i]);
}

/** "127.0.0.10-127.0.0.12, 127.0.0.20" for IPv4 addresses in 127.0.0.0/24. */
function ranges(hosts: readonly string[]): string {
  const octets = hosts.map((h) => Number(h.split(".")[3])).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < octets.length; ) {
    let j = i;
    while (j + 1 < octets.length && octets[j + 1] === octets[j] + 1) j++;
    parts.push(i === j ? `127.0.0.${octets[i]}` : `127.0.0.${octets[i]}-127.0.0.${octets[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

export class LoopbackError extends Error {
  constructor(readonly missing: string[]) {
    const octets = missing.map((h) => Number(h.split(".")[3]));
    const seq = `$(seq ${Math.min(...octets)} ${Math.max(...octets)})`;
    super(
      [
        `the lab needs loopback addresses this machine lacks: ${ranges(missing)}`,
        "add them (they last until the next reboot), then run again:",
        `  macOS:  for i in ${seq}; do sudo ifconfig lo0 alias 127.0.0.$i up; done`,
        "  Linux:  sudo ip addr add 127.0.0.0/8 dev lo    (present by default; something removed it)",
        `and on macOS remove them later with: for i in ${seq}; do sudo ifconfig lo0 -alias 127.0.0.$i; done`,
      ].join("\n"),
    );
    this.name = "LoopbackError";
  }
}

/** Throws a LoopbackError naming every address of `hosts` that cannot be bound. */
export async function requireLoopback(hosts: readonly string[]): Promise<void> {
  const missing = await missingAddresses(hosts);
  if (missing.length > 0) throw new LoopbackError(missing);
}

/** For the lab's entry points: false, after printing what is missing and how to add it, when `hosts` are not all there. */
export async function loopbackReady(program: string, hosts: readonly string[]): Promise<boolean> {
  const missing = await missingAddresses(hosts);
  if (missing.length === 0) return true;
  console.error(`${program}: ${new LoopbackError(missing).message}`);
  return false;
}
