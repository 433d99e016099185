/** Colours only on a terminal, and never when NO_COLOR is set. */
export interface Colors {
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly red: (text: string) => string;
  readonly bold: (text: string) => string;
}

const paint = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const plain = (text: string) => text;

export function colorsFor(stream: NodeJS.WriteStream): Colors {
  const on = stream.isTTY === true && process.env.NO_COLOR === undefined;
  return on
    ? {green: paint(32), yellow: paint(33), red: paint(31), bold: paint(1)}
    : {green: plain, yellow: plain, red: plain, bold: plain};
}

export const noColors: Colors = {green: plain, yellow: plain, red: plain, bold: plain};
