/**
 * The image for the architecture the tasks run on (IMAGE_CONTRACT.architecture: arm64), built and run as the task
 * definition says. On an x86_64 host the build emulates only the stages that run on arm64 (the compile-cache warm-up
 * and the runtime stage), and the container runs under QEMU (tools/platform.ts). Emulation is slow, so this suite
 * runs what an architecture can break: the build, the start, the answers, the user, the compile cache and the stop.
 * image.test.ts runs the rest on the host's architecture. It prints the start and stop times under emulation.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { baseImageUnavailable } from '../../tools/base-image.ts';
import { engineOutput, findEngine, runEngine, type Engine } from '../../tools/container-engine.ts';
import { buildImage, type BuiltImage } from '../../tools/image.ts';
import { emulationUnavailable, hostArchitecture } from '../../tools/platform.ts';
import { verify } from '../../tools/post-deploy-checks.ts';
import { ROOT } from '../../tools/root.ts';
import { productionContainerSettings, type ContainerSettings } from '../../tools/task-definition.ts';
import { IDENTITY } from '../../src/identity.ts';
import {
  listeningAt,
  removeLeftovers,
  startContainer,
  stopWithIdleConnection,
  type RunningContainer,
} from '../helpers/container.ts';

const { architecture } = IMAGE_CONTRACT;

/** Why the suite cannot run here, and whether that fails the run: each REQUIRE_* makes its requirement a failure. */
function unavailable(): { reason: string; required: boolean } | undefined {
  if (hostArchitecture() === architecture) {
    return {
      reason: `the host is ${architecture}: image.test.ts builds and runs this image natively`,
      required: false,
    };
  }
  const engineRequired = process.env.REQUIRE_CONTAINER_ENGINE === '1';
  const found = findEngine();
  if ('unavailable' in found) return { reason: found.unavailable, required: engineRequired };
  const emulation = emulationUnavailable(architecture);
  if (emulation !== undefined) return { reason: emulation, required: process.env.REQUIRE_ARM64_EMULATION === '1' };
  const base = baseImageUnavailable(found.engine, architecture);
  if (base !== undefined) return { reason: base, required: engineRequired };
  return undefined;
}

const missing = unavailable();
if (missing?.required === true) {
  test(`the image can be built and run for ${architecture} (REQUIRE_ARM64_EMULATION, REQUIRE_CONTAINER_ENGINE)`, () => {
    assert.fail(missing.reason);
  });
}

// A tag and a label per checkout and architecture: neither this suite nor image.test.ts removes the other's.
const CHECKOUT = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
const TAG = `localhost/${IDENTITY.slug}:test-${CHECKOUT}-${architecture}`;
const LABEL = `${IDENTITY.slug}-test=${CHECKOUT}-${architecture}`;

suite(
  `the image for the tasks' architecture (${architecture}), under emulation`,
  { skip: missing === undefined ? false : `skipped, ${missing.reason}`, timeout: 900_000 },
  () => {
    const engine = (findEngine() as { engine: Engine }).engine;
    let settings: ContainerSettings;
    let image: BuiltImage;
    let container: RunningContainer | undefined;
    let buildMs: number;
    /** The container, once `before` started it. */
    const running = () => {
      assert.ok(container, 'the container did not start');
      return container;
    };

    before(async () => {
      await removeLeftovers(engine, LABEL);
      const started = performance.now();
      const building = buildImage(engine, { tag: TAG, architecture });
      settings = productionContainerSettings();
      image = await building;
      buildMs = performance.now() - started;
      container = await startContainer(engine, {
        tag: TAG,
        label: LABEL,
        settings,
        extraEnv: { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
        // Node.js under QEMU starts several times slower than natively.
        timeoutMs: 60_000,
      });
    });

    after(async () => {
      if (container) await runEngine(engine, ['rm', '--force', container.id]);
    });

    test(`builds an ${architecture} image`, async (t) => {
      t.diagnostic(`built in ${Math.round(buildMs)} ms on ${image.base}`);
      assert.equal(image.architecture, architecture);
      assert.equal(
        await engineOutput(engine, ['image', 'inspect', '--format', '{{.Architecture}}', TAG]),
        architecture,
      );
    });

    test(`starts ${architecture} Node.js, and answers every check of the identity`, async (t) => {
      const listening = listeningAt(await running().logs());
      assert.ok(listening !== undefined, 'the server logs that it listens');
      t.diagnostic(
        `under emulation: listening ${listening - running().runAt} ms after run; first 200 from inside ` +
          `${Math.round(running().firstOkMs)} ms after run (with the poller's own start)`,
      );
      // One Node.js process in the container for every request: each one starts slowly under emulation.
      const { arch, answers } = await running().inContainer<{
        arch: string;
        answers: { status: number; type: string; body: string }[];
      }>(`(async () => ({
        arch: process.arch,
        answers: await Promise.all(${JSON.stringify(IDENTITY.checks.map((check) => check.path))}.map((path) =>
          fetch('http://127.0.0.1:${settings.port}' + path).then(async (r) =>
            ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() })))),
      }))()`);
      assert.equal(arch, architecture);
      IDENTITY.checks.forEach((check, i) => {
        const answer = answers[i]!;
        assert.equal(
          verify(check, { status: answer.status, contentType: answer.type, text: answer.body }),
          undefined,
          check.path,
        );
      });
    });

    test("runs as the task definition's user, with no capabilities", async () => {
      const status = await running().inContainer<string>(
        "require('node:fs').readFileSync('/proc/self/status', 'utf8')",
      );
      assert.match(status, /^Uid:\s+1000\s/m);
      assert.match(status, /^CapEff:\s+0{16}$/m);
    });

    test(`V8 accepts the compile cache, which the warm-up wrote on ${architecture}`, async () => {
      assert.match(await running().logs(), /V8 code cache for ESM file:\/\/\/app\/dist\/server\.js was accepted/);
    });

    test('SIGTERM with an idle keep-alive connection open: exit 0 within 5 s', async (t) => {
      const stop = await stopWithIdleConnection(engine, running(), settings.port, 30_000);
      t.diagnostic(`SIGTERM to exit ${Math.round(stop.ms)} ms, under emulation`);
      assert.equal(stop.code, '0', `exit code after SIGTERM; the logs before it:\n${stop.logsBefore}`);
      assert.ok(stop.ms < 5000, `${stop.ms} ms`);
    });
  },
);
