/**
 * Starts a virtual display for gpu.js's headlessgl mode when none is set and Xvfb is installed
 * (CI installs it); the display is stopped after the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

let xvfb: ChildProcess | null = null;

export async function setup(): Promise<void> {
  if (process.env.DISPLAY || spawnSync('which', ['Xvfb']).status !== 0) return;
  for (let n = 99; n < 120; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    xvfb = spawn('Xvfb', [`:${n}`, '-screen', '0', '640x480x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(`/tmp/.X11-unix/X${n}`); i++) await new Promise((r) => setTimeout(r, 100));
    if (existsSync(`/tmp/.X11-unix/X${n}`)) {
      process.env.DISPLAY = `:${n}`;
      return;
    }
    xvfb.kill();
    xvfb = null;
  }
}

export async function teardown(): Promise<void> {
  xvfb?.kill();
}
