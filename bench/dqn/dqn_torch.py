"""The book's DQN agent (notebook A23, after Keon Kim's dqn.py) in PyTorch,
for bench/dqn/bench.sh: the same CartPole-v0 (gym 0.9.6's equations, written
out here: gym is not installed), the same 4-32-32-2 net, MSE, Adam(lr=0.001),
memory 2000, gamma 0.95, epsilon 1.0 * 0.995 per replay down to 0.01, reward
-10 on the done step, one replay of 32 single-sample fits per episode.

Prints the book's episode lines to stderr and one JSON line to stdout:
  {"impl":"pytorch","episodes":N,"train_seconds":T,"episodes_per_s":..,
   "mean_score":..,"predict_us":..,"predict_from_list_us":..}
"""
import argparse, json, math, random, sys, time
from collections import deque

import torch
import torch.nn as nn

GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TOTAL_MASS, POLEMASS_LENGTH = MASSPOLE + MASSCART, MASSPOLE * LENGTH
THETA_LIMIT, X_LIMIT, MAX_STEPS = 12 * 2 * math.pi / 360, 2.4, 200


class CartPole:
    def reset(self, rng):
        self.state = [rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return list(self.state)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if action == 1 else -FORCE_MAG
        c, s = math.cos(theta), math.sin(theta)
        temp = (force + POLEMASS_LENGTH * theta_dot * theta_dot * s) / TOTAL_MASS
        thetaacc = (GRAVITY * s - c * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * c * c / TOTAL_MASS))
        xacc = temp - POLEMASS_LENGTH * thetaacc * c / TOTAL_MASS
        x, x_dot = x + TAU * x_dot, x_dot + TAU * xacc
        theta, theta_dot = theta + TAU * theta_dot, theta_dot + TAU * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        done = abs(x) > X_LIMIT or abs(theta) > THETA_LIMIT or self.steps >= MAX_STEPS
        return list(self.state), 1.0, done


class Agent:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.rng = random.Random(seed)
        self.memory = deque(maxlen=2000)
        self.gamma, self.epsilon, self.epsilon_decay, self.epsilon_min = 0.95, 1.0, 0.995, 0.01
        self.model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
        for m in self.model:  # Keras's glorot_uniform and zero biases
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=0.001, eps=1e-7)
        self.loss = nn.MSELoss()

    def predict(self, state):
        with torch.no_grad():
            return self.model(torch.tensor([state], dtype=torch.float32))[0]

    def act(self, state):
        if self.rng.random() <= self.epsilon:
            return self.rng.randrange(2)
        return int(torch.argmax(self.predict(state)))

    def train(self, batch_size):
        for state, action, reward, next_state, done in self.rng.sample(self.memory, batch_size):
            target = reward
            if not done:
                target = reward + self.gamma * float(torch.max(self.predict(next_state)))
            target_f = self.predict(state).clone()
            target_f[action] = target
            self.opt.zero_grad()
            out = self.model(torch.tensor([state], dtype=torch.float32))
            self.loss(out, target_f.unsqueeze(0)).backward()
            self.opt.step()
        if self.epsilon > self.epsilon_min:
            self.epsilon *= self.epsilon_decay


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--predict-reps", type=int, default=20000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    agent, env, env_rng = Agent(a.seed), CartPole(), random.Random(a.seed + 1)
    scores = []
    t0 = time.perf_counter()
    for e in range(a.episodes):
        state = env.reset(env_rng)
        t = 0
        while True:
            action = agent.act(state)
            next_state, reward, done = env.step(action)
            reward = reward if not done else -10
            agent.memory.append((state, action, reward, next_state, done))
            state = next_state
            if done:
                print("episode: {}/{}, score: {}, e: {:.2}".format(e, a.episodes - 1, t, agent.epsilon), file=sys.stderr)
                scores.append(t)
                break
            t += 1
        if len(agent.memory) > 32:
            agent.train(32)
    train_s = time.perf_counter() - t0

    # Latency of one predict of one CartPole state, no_grad: from a ready
    # tensor, and from a Python list as the agent does.
    state = [0.01, -0.03, 0.02, 0.04]
    x = torch.tensor([state], dtype=torch.float32)
    with torch.no_grad():
        for _ in range(1000):
            agent.model(x)
        t0 = time.perf_counter()
        for _ in range(a.predict_reps):
            agent.model(x)
        pred_us = (time.perf_counter() - t0) / a.predict_reps * 1e6
    for _ in range(1000):
        agent.predict(state)
    t0 = time.perf_counter()
    for _ in range(a.predict_reps):
        agent.predict(state)
    pred_list_us = (time.perf_counter() - t0) / a.predict_reps * 1e6
    print(json.dumps({"impl": "pytorch", "episodes": a.episodes, "train_seconds": train_s,
                      "episodes_per_s": a.episodes / train_s, "mean_score": sum(scores) / len(scores),
                      "predict_us": pred_us, "predict_from_list_us": pred_list_us}))


if __name__ == "__main__":
    main()
