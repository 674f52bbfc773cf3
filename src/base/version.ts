import { readFileSync } from "node:fs";

/** motc's version, from package.json (recorded in every ONNX file it writes). */
export const version: string = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
