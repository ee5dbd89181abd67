"""A character-level GRU that generates names for a language, after the PyTorch tutorial
"Generating names with a character-level RNN" (what FunctionBench's rnn_serving runs).

Shared by the handler (app.py) and functions/generate_inputs.py, which trains it briefly on
synthetic names and saves it (model.pt).
"""
import io
import string

import torch
from torch import nn

ALL_LETTERS = string.ascii_letters + " .,;'-"
N_LETTERS = len(ALL_LETTERS) + 1     # and end-of-name
EOS = N_LETTERS - 1
MAX_LENGTH = 20


class CharRNN(nn.Module):
    def __init__(self, n_categories, hidden_size=64):
        super().__init__()
        self.n_categories = n_categories
        self.hidden_size = hidden_size
        self.gru = nn.GRU(n_categories + N_LETTERS, hidden_size)
        self.dropout = nn.Dropout(0.1)
        self.out = nn.Linear(hidden_size, N_LETTERS)
        self.log_softmax = nn.LogSoftmax(dim=-1)

    def forward(self, inputs, hidden=None):
        """inputs: (length, 1, categories + letters); returns (length, letters) log-probabilities."""
        output, hidden = self.gru(inputs, hidden)
        return self.log_softmax(self.out(self.dropout(output[:, 0, :]))), hidden


def input_tensor(category, n_categories, letters):
    tensor = torch.zeros(len(letters), 1, n_categories + N_LETTERS)
    for i, letter in enumerate(letters):
        tensor[i, 0, category] = 1
        tensor[i, 0, n_categories + ALL_LETTERS.index(letter)] = 1
    return tensor


def training_tensors(category, n_categories, name):
    """Each letter of the name predicts the next one; the last predicts the end of the name."""
    targets = torch.tensor([ALL_LETTERS.index(c) for c in name[1:]] + [EOS])
    return input_tensor(category, n_categories, name), targets


def sample(model, categories, language, start_letter):
    """Greedy decoding: the most likely next letter, until end-of-name or MAX_LENGTH letters."""
    category = categories.index(language)
    with torch.no_grad():
        inputs, hidden, name = input_tensor(category, len(categories), start_letter), None, start_letter
        for _ in range(MAX_LENGTH - 1):
            output, hidden = model(inputs, hidden)
            top = int(output[-1].argmax())
            if top == EOS:
                break
            name += ALL_LETTERS[top]
            inputs = input_tensor(category, len(categories), ALL_LETTERS[top])
    return name


def samples(model, categories, language, start_letters):
    return [sample(model, categories, language, letter) for letter in start_letters]


def load(path):
    """Loads a saved model (read into memory first: no descriptor stays open); returns it in eval mode."""
    with open(path, "rb") as f:
        checkpoint = torch.load(io.BytesIO(f.read()))
    model = CharRNN(len(checkpoint["categories"]), checkpoint["hidden_size"])
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return model, checkpoint["categories"]
