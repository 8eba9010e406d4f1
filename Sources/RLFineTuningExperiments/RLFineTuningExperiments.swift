// The experiments umbrella: `import RLFineTuningExperiments` brings in the library (the RLFineTuning umbrella) and,
// above it, the built-in instruction task, the toy worlds, the InstructGPT pipeline and the papers' experiments.
@_exported import RLFineTuning
@_exported import Tasks
@_exported import ReviewWorld
@_exported import CommonsenseWorld
@_exported import Pipeline
@_exported import QuarkExperiments
@_exported import RLPExperiments
@_exported import RainierExperiments
