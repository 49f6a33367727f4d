import WaveCore

/// PyTorch's names for the gated cells' tensors in the paper's tables.
func gatedSymbol(_ spec: ParameterSpec) -> String {
    [ParameterRole.recurrentWeight: "W_hh", .recurrentBias: "b_hh", .encoderWeight: "W_ih", .encoderBias: "b_ih"][spec.role] ?? spec.name
}

/// PyTorch's nn.LSTM and nn.GRU parameters, in its state_dict order, every one uniform(±1/sqrt(N)).
func gatedParameters(gates: Int, units n: Int, inputSize d: Int) -> [ParameterSpec] {
    [ParameterSpec("rnn.weight_ih_l0", [gates * n, d], .encoderWeight),
     ParameterSpec("rnn.weight_hh_l0", [gates * n, n], .recurrentWeight),
     ParameterSpec("rnn.bias_ih_l0", [gates * n], .encoderBias),
     ParameterSpec("rnn.bias_hh_l0", [gates * n], .recurrentBias)]
}
