// Types of scripts/dist.mjs for the TypeScript tests that stage the engine's resources.
export declare function stageEngine(platform?: NodeJS.Platform, arch?: string): Promise<unknown>;
