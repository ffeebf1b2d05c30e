#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so that `npx catalog-sync …` works without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
