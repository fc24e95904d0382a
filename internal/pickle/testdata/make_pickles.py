# Writes the fixtures of internal/pickle's tests (run once with numpy 1.x:
# python3 make_pickles.py). The .pkl files are the pickle streams numpy's
# np.save puts after the .npy header of an object array.
import io
import os
import pickle

import numpy as np


def objarray(lists):
    a = np.empty(len(lists), dtype=object)
    for i, l in enumerate(lists):
        a[i] = l
    return a


lists = [[1, 2, 300], [70000, 5], [], [2**40, -1, -70000, 2**63 - 1, -2**63]]
for proto in (2, 3, 4):
    with open('ints_p%d.pkl' % proto, 'wb') as f:
        pickle.dump(objarray(lists), f, protocol=proto)

# One list object twice in the array: the second is a memo get.
shared = [7, 8]
with open('shared_p2.pkl', 'wb') as f:
    pickle.dump(objarray([shared, shared, [9]]), f, protocol=2)


class Evil(object):
    def __reduce__(self):
        return (os.system, ('echo pwned',))


for proto in (2, 4):
    with open('evil_p%d.pkl' % proto, 'wb') as f:
        f.write(pickle.dumps(Evil(), protocol=proto))

# An object array whose element calls os.system when unpickled.
with open('evil_in_array_p2.pkl', 'wb') as f:
    pickle.dump(objarray([[1], Evil()]), f, protocol=2)
