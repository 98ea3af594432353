/**
 * What a handler resolves with to give its event back unhandled: the attempt
 * neither succeeds nor fails, no attempt is counted and nothing is recorded;
 * the event stays unfinished, so the position does not pass it and its
 * partition's next owner gets it. Only for a handler whose partition is being
 * stopped or taken away (a member over HTTP whose worker never answered for
 * the delivery): anywhere else it would hold the partition up for good.
 */
export const HAND_BACK: unique symbol = Symbol('millrace.handBack');

export type HandBack = typeof HAND_BACK;
