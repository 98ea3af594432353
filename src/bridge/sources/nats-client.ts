// The NATS client for a subjects source: imported statically here, and this
// module loaded only when a source starts, so the optional client loads then.
export { connect, Events } from 'nats';
