package switchboard

import (
	"encoding/json"
	"time"
)

// Bot engines of this build (each lives in bot/<engine> and parses its own
// configuration).
const (
	EngineBuiltin = "builtin" // intents learned from examples, knowledge, fallback, handoff
	EngineWebhook = "webhook" // logic in the customer's service, reached by a signed POST
)

// Bot statuses.
const (
	BotDraft    = "draft"
	BotTraining = "training"
	BotTrained  = "trained"
	BotDeployed = "deployed"
	BotError    = "error"
)

// Bot answers the messages of the channels it is attached to.
// Config is the engine's configuration as JSON without its secrets; Secrets
// holds the secret fields (the webhook engine's signing secret), encrypted
// at rest and never returned.
type Bot struct {
	ID          string            `json:"id"`
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Engine      string            `json:"engine"`
	Config      json.RawMessage   `json:"config"`
	Secrets     map[string]string `json:"-"`
	Status      string            `json:"status"`
	Version     int               `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}
