/** How a kind's semantic checks report a problem: a JSON path and a message. */
export type PathSegment = string | number;
export type PushProblem = (path: PathSegment[], message: string) => void;
