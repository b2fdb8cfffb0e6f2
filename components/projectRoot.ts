// The repository root is the directory holding Pulumi.yaml. Pulumi runs index.ts
// from components/ (ts-node) and the tests run dist/components/, so walk up
// instead of assuming a depth.
import * as fs from "node:fs";
import * as path from "node:path";

export function findProjectRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No Pulumi.yaml in ${start} or any directory above it`);
  }
}
