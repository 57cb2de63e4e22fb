/** Said before the suite runs: which service-backed tests will be skipped on this machine, and how to run them. */
const missing = ["TEST_REDIS_URL", "TEST_DATABASE_URL"].filter((name) => !process.env[name]);
if (missing.length > 0) {
  process.stderr.write(
    `\n!!! ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set: the tests that need ${missing.map((m) => (m === "TEST_REDIS_URL" ? "Redis" : "Postgres")).join(" and ")} will be SKIPPED.\n` +
      "!!! CI runs them (.ci/run starts the services); locally: TEST_REDIS_URL=redis://127.0.0.1:6379 TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test\n\n",
  );
}
