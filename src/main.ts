/** The CLI's entry: oclif, from the same bundle as the commands it runs. */
export {execute} from '@oclif/core/execute';
