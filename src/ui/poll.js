// A view's refresh loop: load, render, wait, again, until the answer says it is done or the view is left.

/**
 * Starts at once. `refresh()` loads again now (an answer of an older round is dropped); `stop()` ends the loop and is
 * the view's cleanup. A failed load ends the loop and goes to `onError`.
 */
export function poll({ load, render, intervalMs, onError, done = () => false }) {
  let timer;
  let round = 0;
  let stopped = false;
  async function tick() {
    clearTimeout(timer);
    const mine = ++round;
    try {
      const answer = await load();
      if (stopped || mine !== round) return;
      render(answer);
      if (!done(answer)) timer = setTimeout(tick, intervalMs);
    } catch (error) {
      if (!stopped && mine === round) onError(error);
    }
  }
  tick();
  return {
    refresh: tick,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
