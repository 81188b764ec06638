// Loaded into the sample app with `node --import` by `npm run bench -- --profile`: V8's CPU
// profiler (the one behind `node --cpu-prof`, same .cpuprofile format), started and stopped over
// the IPC channel so that a profile covers the measured window only (no start-up, no warm-up):
//   { type: 'profile-start', intervalUs } -> { type: 'profile-started' }
//   { type: 'profile-stop', file }        -> { type: 'profile-stopped', file }
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

if (process.send) {
  const session = new Session();
  session.connect();
  process.on('message', async (message) => {
    try {
      if (message?.type === 'profile-start') {
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: message.intervalUs ?? 100 });
        await session.post('Profiler.start');
        process.send({ type: 'profile-started' });
      } else if (message?.type === 'profile-stop') {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(message.file, JSON.stringify(profile));
        process.send({ type: 'profile-stopped', file: message.file });
      }
    } catch (error) {
      process.send({ type: 'profile-error', message: String(error) });
    }
  });
  // The channel must not keep the app alive once Nest has closed it (SIGTERM).
  process.channel?.unref();
}
