// The demo as a visitor's browser meets it, for the browser tests: the edge on the real
// local runtime, a webhook receiver (the demo form's webhook is its `/hook`), the demo site
// seeded with its agent and contact form, and headless Chromium. `shots` names a folder
// made for the test's screenshots (test-results/<name>/).
import { mkdir } from "node:fs/promises";
import { startStack, startReceiver } from "./stack.mjs";
import { launchChromium } from "./chromium.mjs";
import { startDemoSite } from "../../demo-site/server.mjs";
import { seedDemo, DEMO_AGENT_ID } from "../../demo-site/seed.mjs";

export async function startDemo({ shots, stack: stackOptions, receiver: receiverOptions } = {}) {
  const demo = {};
  demo.stop = async () => {
    await demo.browser?.close();
    await demo.site?.stop();
    await demo.receiver?.stop();
    await demo.stack?.stop();
  };
  try {
    demo.stack = await startStack(stackOptions);
    demo.receiver = await startReceiver(receiverOptions);
    demo.site = await startDemoSite({ edgeUrl: demo.stack.url, agentId: DEMO_AGENT_ID });
    const { agent, tool } = await seedDemo({
      edgeUrl: demo.stack.url,
      apiKey: demo.stack.apiKey,
      webhookUrl: demo.receiver.url + "/hook",
      allowedOrigins: [demo.site.url],
    });
    Object.assign(demo, { agent, tool });
    demo.browser = await launchChromium();
    if (shots) await mkdir(shots, { recursive: true });
    return demo;
  } catch (e) {
    // Nothing left running when the setup fails half way.
    await demo.stop();
    throw e;
  }
}
