/**
 * The top self-time functions of one .cpuprofile, e.g. one BENCH_PROFILE wrote to
 * bench/results/profiles/, or any `node --cpu-prof` output. The whole profile counts
 * ("(idle)" excepted); give the number of requests the process served to get µs per request.
 *
 * Usage: node dist/bench/profile-top.js <file.cpuprofile> [requests] [top=5]
 */
import { readCpuProfile, renderTop, selfTimes } from "./cpuprofile.js";

const [file, requestsArg, topArg] = process.argv.slice(2);
if (file === undefined || file === "--help") {
  process.stderr.write("usage: node dist/bench/profile-top.js <file.cpuprofile> [requests] [top=5]\n");
  process.exit(file === undefined ? 2 : 0);
}
const requests = requestsArg === undefined ? null : Number(requestsArg);
const top = topArg === undefined ? 5 : Number(topArg);
if ((requests !== null && !(requests > 0)) || !Number.isInteger(top) || top < 1) {
  process.stderr.write("requests must be a positive number and top a positive integer\n");
  process.exit(2);
}
const summary = selfTimes(readCpuProfile(file));
const busy =
  requests === null ? `${(summary.busyUs / 1000).toFixed(0)} ms` : `${(summary.busyUs / requests).toFixed(1)} µs/req`;
process.stdout.write(
  `${file}: busy ${busy} (idle ${(summary.idleUs / 1000).toFixed(0)} ms, ${summary.samples} samples)\n\n` +
    `${renderTop(summary, top, requests)}\n`,
);
