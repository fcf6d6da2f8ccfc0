// PROTOTYPE (bench only) of a change recommended for controller/docker.ts, loaded into an agent
// process with `node --import`. docker-modem's buildRequest evaluates
// util.inspect(options, { showHidden: true, depth: null }) for a debug() line on EVERY request,
// debugging on or not, and the options carry the kept-alive http.Agent, whose sockets (the events
// stream's among them) hold parsers and buffers: walking all that costs milliseconds per call.
// Giving the agent a one-word inspect removes the cost; the fix in docker.ts is the same line on
// the agent it creates.
import http from 'node:http';
import { inspect } from 'node:util';
http.Agent.prototype[inspect.custom] = () => '[http.Agent]';
