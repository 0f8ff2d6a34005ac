"""For each exercise, a cell that builds small inputs and prints the shapes.

The cell runs the candidate's own code, so before it is implemented it stops
with the stub's NotImplementedError, which is the point: it shows what to
call and what comes back.
"""

DEMOS: dict[str, str] = {
    "chain-rule": """\
rng = np.random.default_rng(0)
a, b = rng.normal(size=3), rng.normal(size=3)
gate = MultiplyGate()
out = gate.forward(a, b)
da, db = gate.backward(np.ones_like(out))
print("MultiplyGate: out", out.shape, "da", da.shape, "db", db.shape)
out, dw, dx = neuron(rng.normal(size=4), rng.normal(size=3))
print("neuron: out", out, "dw", np.shape(dw), "dx", np.shape(dx))
f, dfdx, dfdy = staged(a, b)
print("staged: f", np.shape(f), "dfdx", np.shape(dfdx), "dfdy", np.shape(dfdy))""",
    "linear": """\
rng = np.random.default_rng(0)
layer = Linear(3, 5, rng=rng)
x = rng.normal(size=(4, 3))
out = layer.forward(x)
dx = layer.backward(np.ones_like(out))
print("out", out.shape, "dx", dx.shape, {k: v.shape for k, v in layer.grads.items()})""",
    "activations": """\
x = np.linspace(-3, 3, 7).reshape(1, 7)
for layer in (ReLU(), LeakyReLU(), Sigmoid(), Tanh(), GELU()):
    out = layer.forward(x)
    dx = layer.backward(np.ones_like(out))
    print(type(layer).__name__, "out", out.shape, "dx", dx.shape)""",
    "losses": """\
rng = np.random.default_rng(0)
logits, targets = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
loss = SoftmaxCrossEntropy()
print("cross-entropy", loss.forward(logits, targets), "dlogits", loss.backward().shape)
mse = MSELoss()
print("mse", mse.forward(logits, np.zeros((4, 3))), "dpred", mse.backward().shape)""",
    "mlp": """\
rng = np.random.default_rng(0)
model = MLP([3, 8, 2], rng=rng)
scores = model.forward(rng.normal(size=(4, 3)))
dx = model.backward(np.ones_like(scores))
print("scores", scores.shape, "dx", dx.shape, {k: v.shape for k, v in model.grads.items()})
sgd_step(model.params, model.grads, lr=0.1)""",
    "initialization": """\
rng = np.random.default_rng(0)
W = xavier_uniform(256, 128, rng=rng)
print("xavier", W.shape, "std", W.std(), "expected", np.sqrt(2 / (256 + 128)))
W = kaiming_normal(256, 128, rng=rng)
print("kaiming", W.shape, "std", W.std(), "expected", np.sqrt(2 / 256))
grads = {"W": np.full((2, 2), 3.0), "b": np.full(2, 4.0)}
print("norm before clipping", clip_grad_norm(grads, max_norm=1.0), "after", np.sqrt(sum((g ** 2).sum() for g in grads.values())))""",
    "autograd": """\
a, b = Value(2.0), Value(-3.0)
loss = (a * b + a ** 2).tanh()
loss.backward()
print("loss", loss.data, "dloss/da", a.grad, "dloss/db", b.grad)""",
    "batchnorm": """\
rng = np.random.default_rng(0)
layer = BatchNorm1d(3)
out = layer.forward(rng.normal(2.0, 3.0, size=(5, 3)))
dx = layer.backward(np.ones_like(out))
print("out", out.shape, "mean", out.mean(axis=0), "dx", dx.shape, "running_mean", layer.running_mean)""",
    "layernorm": """\
rng = np.random.default_rng(0)
layer = LayerNorm(4)
out = layer.forward(rng.normal(size=(2, 3, 4)))
dx = layer.backward(np.ones_like(out))
print("out", out.shape, "dx", dx.shape, {k: v.shape for k, v in layer.grads.items()})""",
    "dropout": """\
layer = Dropout(0.5, rng=np.random.default_rng(0))
out = layer.forward(np.ones((2, 6)))
print("training out", out)
print("dx", layer.backward(np.ones_like(out)))
layer.training = False
print("evaluation out", layer.forward(np.ones((2, 6))))""",
    "conv": """\
rng = np.random.default_rng(0)
layer = Conv2d(2, 4, kernel_size=3, stride=1, padding=1, rng=rng)
out = layer.forward(rng.normal(size=(1, 2, 5, 5)))
dx = layer.backward(np.ones_like(out))
print("out", out.shape, "dx", dx.shape, {k: v.shape for k, v in layer.grads.items()})""",
    "pooling": """\
x = np.arange(16.0).reshape(1, 1, 4, 4)
for layer in (MaxPool2d(2), AvgPool2d(2)):
    out = layer.forward(x)
    print(type(layer).__name__, "out", out.shape, "dx", layer.backward(np.ones_like(out)).shape)""",
    "rnn": """\
rng = np.random.default_rng(0)
layer = RNN(3, 4, rng=rng)
h = layer.forward(rng.normal(size=(2, 5, 3)))
dx, dh0 = layer.backward(np.ones_like(h))
print("h", h.shape, "dx", dx.shape, "dh0", dh0.shape)""",
    "lstm": """\
rng = np.random.default_rng(0)
layer = LSTM(3, 4, rng=rng)
h = layer.forward(rng.normal(size=(2, 5, 3)))
dx, dh0 = layer.backward(np.ones_like(h))
print("h", h.shape, "dx", dx.shape, "dh0", dh0.shape, {k: v.shape for k, v in layer.grads.items()})""",
    "embedding": """\
rng = np.random.default_rng(0)
layer = Embedding(10, 4, rng=rng)
out = layer.forward(np.array([[1, 2, 1], [0, 9, 9]]))
layer.backward(np.ones_like(out))
print("out", out.shape, "grads['W']", layer.grads["W"].shape, "rows used", np.flatnonzero(layer.grads["W"].any(axis=1)))""",
    "attention": """\
rng = np.random.default_rng(0)
attention = ScaledDotProductAttention()
q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
out = attention.forward(q, k, v)
dq, dk, dv = attention.backward(np.ones_like(out))
print("out", out.shape, "dq", dq.shape, "dk", dk.shape, "dv", dv.shape)
mha = MultiHeadAttention(8, 2, rng=rng)
out = mha.forward(rng.normal(size=(2, 3, 8)), causal=True)
print("multi-head out", out.shape, "dx", mha.backward(np.ones_like(out)).shape)""",
    "optimizers": """\
params = {"w": np.array([1.0, -2.0])}
optimizer = Adam(params, lr=0.1)
for step in range(3):
    optimizer.step({"w": 2 * params["w"]})  # gradient of sum(w ** 2)
    print("step", step + 1, params["w"])""",
}
