// Every request body that README.md shows (and the rest of the API's), built
// as values of the types openapi-typescript generates from api/openapi.json.
// .ci/contract type-checks this file with tsc --strict: a schema that stops
// describing a body a client sends breaks the build. The bodies marked with
// a ts-expect-error directive are bodies the server refuses, which the types
// must refuse too.
import type { components, paths } from "./gen/openapi";

type Schemas = components["schemas"];
type Methods = "post" | "put" | "patch";

// The JSON request body of an operation, as a client such as openapi-fetch
// sees it.
type Body<P extends keyof paths, M extends Methods> = paths[P][M] extends { requestBody?: infer R }
  ? [NonNullable<R>] extends [never]
    ? never
    : NonNullable<R> extends { content: { "application/json": infer B } }
      ? B
      : never
  : never;

// "POST /api/v1/bots" and so on: every operation that takes a JSON body.
type OperationsWithBody = {
  [P in keyof paths]: {
    [M in Methods & keyof paths[P]]: [Body<P, M>] extends [never] ? never : `${Uppercase<M>} ${P & string}`;
  }[Methods & keyof paths[P]];
}[keyof paths];

// --- A five-minute tour (README) ---

const supportBot: Body<"/api/v1/bots", "post"> = {
  name: "Support",
  engine: "builtin",
  config: {
    intents: [{ name: "greet", examples: ["hello", "hi"], responses: ["Hello! How can I help?"] }],
    fallback: "Sorry, I did not get that.",
  },
};

const apiChannel: Body<"/api/v1/channels", "post"> = {
  type: "api",
  name: "My app",
  config: { callback_url: "https://app.example.com/switchboard" },
};

const conversation: Body<"/api/v1/conversations", "post"> = { channel_id: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD", user_id: "user-42" };

const agentMessage: Body<"/api/v1/conversations/{id}/messages", "post"> = { text: "Hi there", sender: "agent" };

const handoff: Body<"/api/v1/conversations/{id}", "put"> = { status: "handoff", assignee: "ann@example.com" };

// The tour's mistake: an engine that does not exist is refused.
// @ts-expect-error engine "gpt" is not an engine
const gptBot: Body<"/api/v1/bots", "post"> = { name: "x", engine: "gpt" };

// --- Webhook delivery (README) ---

const endpoint: Body<"/api/v1/webhooks", "post"> = {
  url: "https://hooks.example.com/switchboard",
  description: "CRM sync",
  event_types: ["message.*", "conversation.ended"],
};

const endpointUpdate: Body<"/api/v1/webhooks/{id}", "patch"> = { status: "disabled", rate_limit_per_second: null };

const rotate: Body<"/api/v1/webhooks/{id}/rotate-secret", "post"> = { grace_period_seconds: 86400 };

const test: Body<"/api/v1/webhooks/{id}/test", "post"> = {};

const replay: Body<"/api/v1/webhooks/{id}/replay", "post"> = { since: "2026-01-15T00:00:00Z", status: "failed" };

const retry: Body<"/api/v1/deliveries/{id}/retry", "post"> = {};

// --- Bots (README) ---

const webhookBot: Body<"/api/v1/bots", "post"> = {
  name: "Order bot",
  engine: "webhook",
  config: { url: "https://bots.example.com/switchboard" },
};

// A webhook bot's service replying later, through the API.
const botReply: Body<"/api/v1/conversations/{id}/messages", "post"> = { text: "Your order shipped.", sender: "bot" };

const newConfig: Body<"/api/v1/bots/{id}/config", "put"> = { url: "https://bots.example.com/v2/switchboard" };

// An llm bot on OpenAI, and one on a local model through Ollama.
const llmBot: Body<"/api/v1/bots", "post"> = {
  name: "Assistant",
  engine: "llm",
  config: {
    base_url: "https://api.openai.com/v1", model: "gpt-4o-mini", api_key: "sk-proj-abc",
    system_prompt: "You are the support assistant of Acme.", temperature: 0.3, max_tokens: 400, history: 20,
    tools: ["knowledge", "handoff", "contact", "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order"],
  },
};
const localBot: Body<"/api/v1/bots", "post"> = {
  name: "Local", engine: "llm", config: { base_url: "http://127.0.0.1:11434/v1", model: "llama3.1", tools: ["knowledge", "handoff"] },
};
// @ts-expect-error an llm bot's config is not a webhook bot's
const llmBotWithURL: Body<"/api/v1/bots", "post"> = { name: "Assistant", engine: "llm", config: { url: "https://x.example" } };

// @ts-expect-error a webhook bot needs its config (url)
const webhookBotWithoutURL: Body<"/api/v1/bots", "post"> = { name: "Order bot", engine: "webhook" };

// --- Channels (README) ---

const telegram: Body<"/api/v1/channels", "post"> = {
  type: "telegram",
  name: "Support bot",
  bot_id: "bot_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  config: { bot_token: "123456:ABC" },
};

const slack: Body<"/api/v1/channels", "post"> = {
  type: "slack",
  name: "Slack",
  bot_id: "bot_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  config: { bot_token: "xoxb-1", signing_secret: "8f2d" },
};

const apiChannelWithBot: Body<"/api/v1/channels", "post"> = {
  type: "api",
  name: "My app",
  bot_id: "bot_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  config: { callback_url: "https://app.example.com/switchboard/replies" },
};

const whatsapp: Body<"/api/v1/channels", "post"> = {
  type: "whatsapp",
  name: "WhatsApp",
  config: { access_token: "EAAG", phone_number_id: "109876543210987", app_secret: "a1b2", verify_token: "c3d4" },
};

const messenger: Body<"/api/v1/channels", "post"> = {
  type: "messenger",
  name: "Messenger",
  config: { page_access_token: "EAAG", app_secret: "a1b2", verify_token: "c3d4" },
};

const twilio: Body<"/api/v1/channels", "post"> = {
  type: "twilio",
  name: "SMS",
  config: { account_sid: "AC5f3e", auth_token: "f00d", from: "+14155550147" },
};

const webchat: Body<"/api/v1/channels", "post"> = {
  type: "webchat",
  name: "Website",
  bot_id: "bot_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  config: { allowed_origins: ["https://www.example.com"] },
};

// Secret settings change with PATCH; null removes a setting.
const newToken: Body<"/api/v1/channels/{id}", "patch"> = { config: { bot_token: "7312345678:AAF-new", api_base_url: null } };
const newSessionSecret: Body<"/api/v1/channels/{id}", "patch"> = { config: { session_secret: "s3cr3t" } };
const detach: Body<"/api/v1/channels/{id}", "patch"> = { bot_id: null, status: "disconnected" };

// @ts-expect-error a telegram channel has no callback_url
const wrongSetting: Body<"/api/v1/channels", "post"> = { type: "telegram", name: "t", config: { bot_token: "1:a", callback_url: "https://x.example" } };

// What an application POSTs to an api channel's webhook_url.
const inbound: Schemas["APIChannelInboundMessage"] = {
  message_id: "m-123",
  user_id: "u-42",
  text: "Hi",
  user: { name: "Ada", email: "ada@example.com" },
};
const inboundBody: Body<"/hooks/channels/{id}", "post"> = inbound;

// What Telegram and Twilio send to their channels' webhook_url.
const update: Schemas["TelegramUpdate"] = {
  update_id: 412398714,
  message: { message_id: 1187, date: 1736933400, chat: { id: 148203577, type: "private" }, text: "Where is my order?" },
};
const sms: Schemas["TwilioWebhookRequest"] = { MessageSid: "SM8f2d", From: "+12125550163", Body: "Hi", AccountSid: "AC5f3e" };

// --- API keys, contacts, messages (README: The REST API in brief) ---

const apiKey: Body<"/api/v1/api-keys", "post"> = { name: "CRM sync", scopes: ["read:conversations", "write:messages"] };

const integrationsKey: Body<"/api/v1/api-keys", "post"> = { name: "Ops", scopes: ["read:integrations", "write:integrations", "read:knowledge"] };

// @ts-expect-error a scope that does not exist
const unknownScopeKey: Body<"/api/v1/api-keys", "post"> = { name: "k", scopes: ["read:everything"] };

const contact: Body<"/api/v1/contacts/{id}", "patch"> = { name: "Ada Lovelace", email: "ada@example.com", attributes: { plan: "pro", since: 2021 } };

const proactive: Body<"/api/v1/messages", "post"> = { channel_id: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD", user_id: "u-42", text: "Your order shipped." };

const byContact: Body<"/api/v1/conversations", "post"> = {
  channel_id: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  contact_id: "ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  metadata: { order_id: "1042", priority: 2 },
};

// @ts-expect-error a contact_id or a user_id names the person
const nobody: Body<"/api/v1/conversations", "post"> = { channel_id: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD" };

const end: Body<"/api/v1/conversations/{id}", "put"> = { status: "ended", metadata: { outcome: "resolved" } };

// @ts-expect-error only agents and bots send through the API
const asUser: Body<"/api/v1/conversations/{id}/messages", "post"> = { text: "hi", sender: "user" };

// --- Knowledge (README: Knowledge and templates) ---

const orderFact: Body<"/api/v1/knowledge", "post"> = {
  key: "order.latest",
  email: "ada@example.com",
  text: "Order #1001 shipped on 14 January.",
  data: { number: "1001", status: "shipped", tracking_number: "1Z999AA10123456784" },
  expires_at: "2026-02-15T10:30:00Z",
};

const hoursFact: Body<"/api/v1/knowledge", "post"> = { key: "hours", text: "We are open 9:00 to 17:00, Monday to Friday." };

// @ts-expect-error a fact needs a key
const keylessFact: Body<"/api/v1/knowledge", "post"> = { text: "9-5" };

// --- Training and deploying a bot (README) ---

const newestVersion: Body<"/api/v1/bots/{id}/deploy", "post"> = {};
const rollback: Body<"/api/v1/bots/{id}/deploy", "post"> = { version: 1 };

// @ts-expect-error a version is a number
const versionName: Body<"/api/v1/bots/{id}/deploy", "post"> = { version: "v1" };

const parseDeployed: Body<"/api/v1/bots/{id}/parse", "post"> = { text: "good morning" };
const parseVersion: Body<"/api/v1/bots/{id}/parse", "post"> = { text: "good morning", version: 2 };

// @ts-expect-error parse needs a text
const parseNothing: Body<"/api/v1/bots/{id}/parse", "post"> = { version: 2 };

const withAction: Body<"/api/v1/bots/{id}/config", "put"> = {
  intents: [
    {
      name: "order_status",
      examples: ["where is my order"],
      responses: ["Your order {{knowledge.order.latest.number}} is {{knowledge.order.latest.status}}."],
      action: { integration_id: "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD", action: "lookup_order", params: { fields: ["status"] } },
    },
  ],
  fallback: "Sorry, I did not get that.",
};

// --- Integrations and automations (README) ---

const helpDesk: Body<"/api/v1/integrations", "post"> = {
  type: "http",
  name: "Help desk",
  config: {
    url: "https://yourcompany.zendesk.com/api/v2/tickets",
    headers: { Authorization: "Basic BASE64(agent@yourcompany.com/token:API_TOKEN)" },
    body: '{"ticket": {"subject": "Chat with {{contact.name}}", "comment": {"body": "{{conversation.transcript}}"}, "external_id": "{{conversation.id}}"}}',
    store_as: "ticket.latest",
  },
};
const shop: Body<"/api/v1/integrations", "post"> = {
  type: "shopify",
  name: "Hoodies & Co",
  config: { shop_domain: "hoodies-and-co.myshopify.com", webhook_secret: "shpss_1f0c", access_token: "shpat_5e2b", notify_channel_id: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD" },
};
const sales: Body<"/api/v1/integrations", "post"> = {
  type: "salesforce",
  name: "Sales",
  config: { client_id: "3MVG9", client_secret: "9F2C", refresh_token: "5Aep861" },
};
const marketing: Body<"/api/v1/integrations", "post"> = { type: "hubspot", name: "Marketing", config: { access_token: "pat-eu1-0d3e" } };
const reconnect: Body<"/api/v1/integrations/{id}", "patch"> = { status: "connected", config: { access_token: "pat-eu1-7a1c" } };
const upsertContact: Body<"/api/v1/integrations/{id}/actions/{action}", "post"> = {
  params: { email: "ada@example.org", properties: { lifecyclestage: "lead" } },
};
const leadFromChat: Body<"/api/v1/integrations/{id}/actions/{action}", "post"> = {
  params: { fields: { Rating: "Warm" } },
  conversation_id: "conv_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
};
const ticketOnHandoff: Body<"/api/v1/automations", "post"> = {
  name: "Ticket on handoff",
  event_types: ["conversation.updated"],
  filter: { "data.conversation.status": "handoff", "data.changes.field": "status" },
  integration_id: "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  action: "call",
};
const leads: Body<"/api/v1/automations", "post"> = {
  name: "Leads",
  event_types: ["conversation.ended"],
  integration_id: "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
  action: "upsert_lead",
  params: { fields: { Rating: "Warm" } },
};
const pause: Body<"/api/v1/automations/{id}", "patch"> = { enabled: false };

// --- Users and OAuth clients (README: API keys, OAuth and JWT) ---

const agent: Body<"/api/v1/users", "post"> = { email: "ana@example.com", name: "Ana Lima", role: "agent", password: "correct horse battery" };
const promote: Body<"/api/v1/users/{id}", "patch"> = { role: "admin" };
const backend: Body<"/api/v1/oauth-clients", "post"> = {
  name: "CRM sync",
  grant_types: ["client_credentials"],
  scopes: ["read:conversations", "write:messages"],
};
const helpdeskApp: Body<"/api/v1/oauth-clients", "post"> = {
  name: "Helpdesk app",
  redirect_uris: ["https://helpdesk.example.com/oauth/callback"],
  grant_types: ["authorization_code", "refresh_token"],
  scopes: ["read:conversations", "write:messages"],
};
const moreScopes: Body<"/api/v1/oauth-clients/{id}", "patch"> = { scopes: ["read:conversations", "write:messages", "read:knowledge"] };

// Every operation that takes a JSON body has its bodies here: an operation
// added to the document without them fails the build.
export const bodies: Record<OperationsWithBody, readonly unknown[]> = {
  "POST /api/v1/bots": [supportBot, webhookBot, gptBot, llmBot, localBot, llmBotWithURL, webhookBotWithoutURL],
  "PUT /api/v1/bots/{id}/config": [newConfig, withAction],
  "POST /api/v1/bots/{id}/deploy": [newestVersion, rollback, versionName],
  "POST /api/v1/bots/{id}/parse": [parseDeployed, parseVersion, parseNothing],
  "POST /api/v1/channels": [apiChannel, telegram, slack, apiChannelWithBot, whatsapp, messenger, twilio, webchat, wrongSetting],
  "PATCH /api/v1/channels/{id}": [newToken, newSessionSecret, detach],
  "POST /hooks/channels/{id}": [inboundBody, update],
  "POST /api/v1/conversations": [conversation, byContact, nobody],
  "PUT /api/v1/conversations/{id}": [handoff, end],
  "POST /api/v1/conversations/{id}/messages": [agentMessage, botReply, asUser],
  "POST /api/v1/messages": [proactive],
  "PATCH /api/v1/contacts/{id}": [contact],
  "POST /api/v1/knowledge": [orderFact, hoursFact, keylessFact],
  "POST /api/v1/webhooks": [endpoint],
  "PATCH /api/v1/webhooks/{id}": [endpointUpdate],
  "POST /api/v1/webhooks/{id}/rotate-secret": [rotate],
  "POST /api/v1/webhooks/{id}/test": [test],
  "POST /api/v1/webhooks/{id}/replay": [replay],
  "POST /api/v1/deliveries/{id}/retry": [retry],
  "POST /api/v1/api-keys": [apiKey, integrationsKey, unknownScopeKey],
  "POST /api/v1/integrations": [helpDesk, shop, sales, marketing],
  "PATCH /api/v1/integrations/{id}": [reconnect],
  "POST /api/v1/integrations/{id}/actions/{action}": [upsertContact, leadFromChat],
  "POST /api/v1/automations": [ticketOnHandoff, leads],
  "PATCH /api/v1/automations/{id}": [pause],
  "POST /hooks/integrations/{id}": [{ id: 820982911946154508, name: "#1042", email: "ada@example.org" }],
  "POST /api/v1/users": [agent],
  "PATCH /api/v1/users/{id}": [promote],
  "POST /api/v1/oauth-clients": [backend, helpdeskApp],
  "PATCH /api/v1/oauth-clients/{id}": [moreScopes],
};
export const formBodies: readonly Schemas["TwilioWebhookRequest"][] = [sms];

// The discriminators narrow: a client can read each engine's and type's
// settings without casts.
export function describe(bot: Schemas["CreateBotRequest"], channel: Schemas["CreateChannelRequest"]): string {
  let botPart: string;
  switch (bot.engine) {
    case "builtin":
      botPart = `${bot.config?.intents?.length ?? 0} intents`;
      break;
    case "webhook":
      botPart = bot.config.url;
      break;
    case "llm":
      botPart = bot.config.model;
      break;
  }
  let channelPart: string;
  switch (channel.type) {
    case "telegram":
    case "slack":
      channelPart = channel.config.bot_token;
      break;
    case "whatsapp":
      channelPart = channel.config.phone_number_id;
      break;
    case "messenger":
      channelPart = channel.config.verify_token;
      break;
    case "twilio":
      channelPart = channel.config.from;
      break;
    case "webchat":
      channelPart = (channel.config?.allowed_origins ?? []).join(" ");
      break;
    case "api":
      channelPart = channel.config?.callback_url ?? "";
      break;
  }
  return `${botPart} ${channelPart}`;
}

// Free-form objects hold what they are given; event data is read by key.
export function orderOf(conv: Schemas["Conversation"], contact: Schemas["Contact"], ev: Schemas["Event"]): unknown[] {
  return [conv.metadata["order_id"], contact.attributes["plan"], ev.data["conversation"]];
}
