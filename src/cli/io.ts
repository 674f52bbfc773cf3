// The CLI's terminal edge: whether stderr takes colour.
export const useColor = (): boolean => Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
