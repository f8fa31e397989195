// Two projects: `unit` (pure, fast) and `e2e` (real mosquitto/influxd started by globalSetup,
// services run as real child processes from dist/). `npm test` runs both.
const moduleNameMapper = {
  '^@cicenns/(model|bus|modbus|common|contracts)$': '<rootDir>/libs/$1/src',
  '^@cicenns/bus/rpc$': '<rootDir>/libs/bus/src/bus-rpc',
};
const transform = { '^.+\\.ts$': 'ts-jest' };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/test/**/*.spec.ts',
        '<rootDir>/tools/**/*.spec.ts',
      ],
      moduleNameMapper,
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e.ts'],
      moduleNameMapper,
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
