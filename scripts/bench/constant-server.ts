/**
 * The limit of this stack on this machine, for `npm run bench:serve`: a bare fastify route that parses the
 * same JSON body as /predict and answers a constant. `node dist/scripts/bench/constant-server.js PORT`
 */
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
app.post('/predict', async (request) => ({
  predictions: Array.isArray(request.body) ? request.body.map(() => 1) : [1],
}));
app.listen({ host: '127.0.0.1', port }).then(
  () => process.stderr.write(`constant server listening on ${port}\n`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
