import { exporterAppConfig } from '../../tsup.shared.mjs';

export default exporterAppConfig(new URL('./package.json', import.meta.url));
