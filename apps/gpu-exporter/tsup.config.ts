import { exporterAppConfig } from '../../tsup.shared.js';

export default exporterAppConfig(new URL('./package.json', import.meta.url));
