"""Train: live training with Play / Pause / Step / Reset and a speed, the loss curve beside the live latent
map, and the final errors."""

from aeviz import ui

ui.intro(
    "Train",
    "Press **Play** and the network trains in front of you: every pass over the training data "
    "(an *epoch*) nudges the weights downhill on the reconstruction error, and the curve shows it for "
    "the training data and for held-out test data the model never trains on. A test curve that "
    "rises while the training curve keeps falling is overfitting. Beside it, the map shows every training "
    "sample's code as it is right now, coloured by its label (colour only: labels never reach training), "
    "so you can watch the groups form; **Speed** sets how many epochs pass per second.",
    r"{\theta \leftarrow \theta - \eta\,\widehat{\nabla_\theta \mathcal{L}}}"
    r"\quad\allowbreak{(\text{Adam: a per-weight step size } \eta)}",
)
ui.live_training(ui.configs())
ui.take_it_home(ui.configs())
ui.try_this([
    "Set the learning rate to 10 and press Play: what happens to the loss, and what does the message tell you?",
    "Set the latent size to 8 and train again: does the test error fall? Compare with the architecture page.",
    "Set the batch size to 2048 (one step per epoch): predict how the curve changes before you press Play.",
    "Change the seed only: the final error moves a little — how much of a difference is noise?",
])
