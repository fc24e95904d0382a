# Writes imdb_fixture.npz, a small file in imdb.npz's layout (x_train and
# x_test: 1-D object arrays of Python int lists, word ranks from 1; y_train
# and y_test: int64 labels), plus imdb_fixture_expected.json: what Keras
# 2.2.0's imdb.load_data returns for it, computed here with that function's
# steps (numpy's legacy RNG seeded 113, the train shuffle then the test
# shuffle on the same stream). Run once: python3 make_imdb.py
import json

import numpy as np

rng = np.random.RandomState(7)


def objarray(lists):
    a = np.empty(len(lists), dtype=object)
    for i, l in enumerate(lists):
        a[i] = l
    return a


x_train = [list(map(int, rng.randint(1, 40, size=rng.randint(0, 15)))) for _ in range(20)]
x_test = [list(map(int, rng.randint(1, 40, size=rng.randint(1, 15)))) for _ in range(12)]
y_train = rng.randint(0, 2, size=20).astype(np.int64)
y_test = rng.randint(0, 2, size=12).astype(np.int64)
np.savez('imdb_fixture.npz', x_train=objarray(x_train), y_train=y_train,
         x_test=objarray(x_test), y_test=y_test)


def load_data(num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    # keras/datasets/imdb.py at 2.2.0, on the arrays above.
    xtr, ltr = objarray(x_train), y_train.copy()
    xte, lte = objarray(x_test), y_test.copy()
    np.random.seed(seed)
    indices = np.arange(len(xtr))
    np.random.shuffle(indices)
    xtr, ltr = xtr[indices], ltr[indices]
    indices = np.arange(len(xte))
    np.random.shuffle(indices)
    xte, lte = xte[indices], lte[indices]
    xs = list(xtr) + list(xte)
    labels = list(ltr) + list(lte)
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    idx = len(xtr)
    if maxlen:
        # _remove_long_seq keeps the sequences shorter than maxlen. Keras
        # 2.2.0 then split at the unfiltered len(x_train), a bug later
        # Keras fixed by filtering each split separately; neurona and this
        # reference do the latter.
        tr = [(x, l) for x, l in zip(xs[:idx], labels[:idx]) if len(x) < maxlen]
        te = [(x, l) for x, l in zip(xs[idx:], labels[idx:]) if len(x) < maxlen]
        idx = len(tr)
        xs = [x for x, _ in tr + te]
        labels = [l for _, l in tr + te]
    if not num_words:
        num_words = max([max(x) for x in xs])
    if oov_char is not None:
        xs = [[w if (skip_top <= w < num_words) else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return {'x_train': xs[:idx], 'y_train': [int(v) for v in labels[:idx]],
            'x_test': xs[idx:], 'y_test': [int(v) for v in labels[idx:]]}


out = {
    'default': load_data(),
    'num_words=20,skip_top=5': load_data(num_words=20, skip_top=5),
    'num_words=20,skip_top=5,oov_char=None': load_data(num_words=20, skip_top=5, oov_char=None),
    'maxlen=8': load_data(maxlen=8),
    'seed=1,start_char=None,index_from=0': load_data(seed=1, start_char=None, index_from=0),
}
with open('imdb_fixture_expected.json', 'w') as f:
    json.dump(out, f, indent=0, sort_keys=True)
with open('imdb_word_index_fixture.json', 'w') as f:
    json.dump({'the': 1, 'and': 2, 'a': 3, 'brilliant': 40}, f)
