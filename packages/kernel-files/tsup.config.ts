import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.mjs';

export default defineConfig(libraryConfig);
