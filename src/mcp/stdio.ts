// `npm run mcp`: the MCP server over stdio, for desktop assistants that launch a command. Stdout
// carries the protocol, so every log line (and the first-run ingest's output) goes to stderr. It
// answers at once; tools say the index is being built until it is open, and it follows new builds.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadConfigOrExit } from '../config.js';
import { LiveIndex } from '../server/live-index.js';
import { startServing, stopOnSignals } from '../server/start-serving.js';
import { createMcpServer } from './mcp-server.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm run mcp

Runs the MCP server over stdio (tools: search_papers, ask, get_paper, summarize; resources:
paper://<id>) on the index in DATA_DIR, building it from the bundled corpus on first run. Configure
it in a desktop MCP client as the command "npm" with arguments ["run", "--silent", "mcp"] and this
folder as the working directory (README, "Use it from other tools").`);
  process.exit(0);
}

const log = (line: string) => console.error(line);
const config = loadConfigOrExit();
const live = new LiveIndex(config, log);
await createMcpServer(live).connect(new StdioServerTransport());
void startServing(config, live, { log, ingestOutput: 'stderr' });

stopOnSignals(live);
