// The umbrella module: `import RLFineTuning` brings in every library target.
@_exported import TensorCore
@_exported import NeuralNetworks
@_exported import LanguageModels
