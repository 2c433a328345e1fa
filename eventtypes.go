package switchboard

import "encoding/json"

// JSON Schemas of the objects that events carry. They mirror the OpenAPI
// document's component schemas of the same names.
const (
	schemaConversation = `{"type":"object","required":["id","channel_id","contact_id","status","metadata","started_at","last_activity_at"],"properties":{` +
		`"id":{"type":"string"},"channel_id":{"type":"string"},"bot_id":{"type":["string","null"]},"contact_id":{"type":"string"},` +
		`"status":{"enum":["active","handoff","ended"]},"assignee":{"type":["string","null"]},"metadata":{"type":"object"},` +
		`"started_at":{"type":"string","format":"date-time"},"last_activity_at":{"type":"string","format":"date-time"},"ended_at":{"type":["string","null"],"format":"date-time"}}}`
	schemaMessage = `{"type":"object","required":["id","conversation_id","direction","sender","text","status","created_at"],"properties":{` +
		`"id":{"type":"string"},"conversation_id":{"type":"string"},"direction":{"enum":["inbound","outbound"]},"sender":{"enum":["user","bot","agent","system"]},` +
		`"text":{"type":"string"},"status":{"enum":["received","queued","sent","delivered","read","failed"]},"external_id":{"type":["string","null"]},` +
		`"error":{"type":["string","null"]},"created_at":{"type":"string","format":"date-time"}}}`
	schemaBot = `{"type":"object","required":["id","name","engine","config","status","version","deployed_version","training","created_at","updated_at"],"properties":{` +
		`"id":{"type":"string"},"name":{"type":"string"},"engine":{"enum":["builtin","webhook","llm"]},"config":{"type":"object"},` +
		`"status":{"enum":["draft","training","trained","deployed","error"]},"version":{"type":"integer"},` +
		`"deployed_version":{"type":["integer","null"]},"training":{"oneOf":[{"type":"null"},` + schemaTraining + `]},` +
		`"created_at":{"type":"string","format":"date-time"},"updated_at":{"type":"string","format":"date-time"}}}`
	schemaTraining = `{"type":"object","required":["status","version","started_at","finished_at","error"],"properties":{` +
		`"status":{"enum":["running","succeeded","failed"]},"version":{"type":["integer","null"]},` +
		`"started_at":{"type":"string","format":"date-time"},"finished_at":{"type":["string","null"],"format":"date-time"},` +
		`"error":{"type":["string","null"]}}}`
	schemaBotVersion = `{"type":"object","required":["bot_id","version","engine","config","model_size","metrics","created_at","deployed_at"],"properties":{` +
		`"bot_id":{"type":"string"},"version":{"type":"integer"},"engine":{"enum":["builtin","webhook","llm"]},"config":{"type":"object"},` +
		`"model_size":{"type":"integer"},"metrics":{"type":"object"},"created_at":{"type":"string","format":"date-time"},` +
		`"deployed_at":{"type":["string","null"],"format":"date-time"}}}`
	schemaIntegration = `{"type":"object","required":["id","type","name","status"],"properties":{"id":{"type":"string"},"type":{"type":"string"},"name":{"type":"string"},"status":{"type":"string"}}}`
	schemaEndpoint    = `{"type":"object","required":["id","url","status"],"properties":{"id":{"type":"string"},"url":{"type":"string"},"status":{"enum":["enabled","disabled"]}}}`
	schemaChange      = `{"type":"object","required":["field","old_value","new_value"],"properties":{"field":{"type":"string"},"old_value":{},"new_value":{}}}`
)

// schemaRun mirrors the OpenAPI document's Run.
const schemaRun = `{"type":"object","required":["id","integration_id","action","status","trigger","params","idempotency_key","attempts","result","error","created_at","updated_at","finished_at"],"properties":{` +
	`"id":{"type":"string"},"integration_id":{"type":"string"},"action":{"type":"string"},"status":{"enum":["queued","running","succeeded","failed"]},` +
	`"trigger":{"enum":["api","automation","intent","tool"]},"trigger_id":{"type":"string"},"event_id":{"type":"string"},"conversation_id":{"type":"string"},` +
	`"params":{"type":"object"},"idempotency_key":{"type":"string"},"attempts":{"type":"array"},"result":{},"error":{"type":["string","null"]},` +
	`"created_at":{"type":"string","format":"date-time"},"updated_at":{"type":"string","format":"date-time"},"finished_at":{"type":["string","null"],"format":"date-time"}}}`

func objectSchema(required []string, props map[string]string) json.RawMessage {
	s := `{"type":"object","required":[`
	for i, r := range required {
		if i > 0 {
			s += ","
		}
		s += `"` + r + `"`
	}
	s += `],"properties":{`
	i := 0
	for _, name := range sortedKeys(props) {
		if i > 0 {
			s += ","
		}
		s += `"` + name + `":` + props[name]
		i++
	}
	return json.RawMessage(s + `}}`)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

var (
	conversationData        = objectSchema([]string{"conversation"}, map[string]string{"conversation": schemaConversation})
	conversationUpdatedData = objectSchema([]string{"conversation", "changes"}, map[string]string{"conversation": schemaConversation,
		"changes": schemaChange})
	messageData  = objectSchema([]string{"message"}, map[string]string{"message": schemaMessage})
	botErrorData = objectSchema([]string{"bot", "error", "version"}, map[string]string{"bot": schemaBot, "error": `{"type":"string"}`,
		"version": `{"type":["integer","null"]}`})
	botTrainedData  = objectSchema([]string{"bot", "version"}, map[string]string{"bot": schemaBot, "version": schemaBotVersion})
	botDeployedData = objectSchema([]string{"bot", "version", "previous_version"}, map[string]string{"bot": schemaBot,
		"version": schemaBotVersion, "previous_version": `{"type":["integer","null"]}`})
	integrationData = objectSchema([]string{"integration"}, map[string]string{"integration": schemaIntegration})
	endpointData    = objectSchema([]string{"endpoint"}, map[string]string{"endpoint": schemaEndpoint, "reason": `{"type":"string"}`})
	testData        = objectSchema([]string{"message"}, map[string]string{"message": `{"type":"string"}`})
)

// The data of integration.disconnected and integration.sync_failed.
var (
	disconnectedData = objectSchema([]string{"integration"}, map[string]string{"integration": schemaIntegration, "reason": `{"type":"string"}`})
	syncFailedData   = objectSchema([]string{"integration", "run"}, map[string]string{"integration": schemaIntegration, "run": schemaRun})
)

// EventTypes lists every event type that this build emits, with a
// description and the JSON Schema of its data, in the order of the
// contract. Endpoints can subscribe to these only, and GET /event-types
// lists them. The types of features that do not exist yet
// (integration.disconnected, integration.sync_failed) join the list with
// the code that emits them.
var EventTypes = []EventType{
	{EventConversationStarted, "A conversation was created.", conversationData},
	{EventConversationUpdated, "A conversation's status, assignee or metadata changed; data.changes names the field with its old and new value (one event per changed field).", conversationUpdatedData},
	{EventConversationEnded, "A conversation ended, by inactivity timeout or through the API.", conversationData},
	{EventMessageReceived, "An inbound message was stored.", messageData},
	{EventMessageSent, "An outbound message was accepted by the platform.", messageData},
	{EventMessageDelivered, "The platform reported an outbound message delivered.", messageData},
	{EventMessageRead, "The platform reported an outbound message read.", messageData},
	{EventMessageFailed, "An outbound message could not be sent.", messageData},
	{EventBotTrained, "A bot's draft was trained into a new version; data.version has its metrics.", botTrainedData},
	{EventBotDeployed, "A version of a bot went live (an older one than before: a rollback); data.previous_version is the one it replaced.", botDeployedData},
	{EventBotError, "A bot's training failed (data.version is null), or a version failed to answer a message after its retries.", botErrorData},
	{EventIntegrationConnected, "A channel was registered with its platform (POST /channels/{id}/register), or an integration was created, registered (POST /integrations/{id}/register) or switched back on; data.integration is the channel or the integration.", integrationData},
	{EventIntegrationDisconnected, "An integration was deleted or disconnected, or its system refused its credentials (its status is then error); data.reason says which.", disconnectedData},
	{EventIntegrationSyncFailed, "An integration action run failed, after its retries; data.run is the run with its attempts.", syncFailedData},
	{EventEndpointDisabled, "A webhook endpoint was disabled after failing for too long.", endpointData},
	{EventWebhookTest, "A test event sent to one endpoint by POST /webhooks/{id}/test.", testData},
}
