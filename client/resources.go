package client

import (
	"context"
	"net/http"

	sb "github.com/switchboardhq/switchboard"
)

// BotInput creates a bot.
type BotInput struct {
	Name   string `json:"name"`
	Engine string `json:"engine"`
	Config any    `json:"config,omitempty"`
}

// CreateBot creates a bot.
func (c *Client) CreateBot(ctx context.Context, in BotInput, opts ...RequestOption) (*sb.Bot, error) {
	return send[sb.Bot](ctx, c, http.MethodPost, "/bots", in, opts...)
}

// GetBot returns a bot.
func (c *Client) GetBot(ctx context.Context, id string) (*sb.Bot, error) {
	return get[sb.Bot](ctx, c, "/bots/"+id)
}

// ListBots lists bots, newest first.
func (c *Client) ListBots(ctx context.Context, o *ListOptions) (*Page[sb.Bot], error) {
	return list[sb.Bot](ctx, c, "/bots", o)
}

// PutBotConfig replaces a bot's engine configuration.
func (c *Client) PutBotConfig(ctx context.Context, id string, config any) (*sb.Bot, error) {
	return send[sb.Bot](ctx, c, http.MethodPut, "/bots/"+id+"/config", config)
}

// DeleteBot deletes a bot.
func (c *Client) DeleteBot(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/bots/"+id, nil, nil)
}

// Channel is a channel as the API shows it.
type Channel struct {
	sb.Channel
	WebhookURL string `json:"webhook_url"`
}

// ChannelInput creates a channel.
type ChannelInput struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	BotID  *string        `json:"bot_id,omitempty"`
	Config map[string]any `json:"config,omitempty"`
}

// CreateChannel creates a channel. The response shows generated secrets
// (the api channel's signing secret) once, in Config.
func (c *Client) CreateChannel(ctx context.Context, in ChannelInput, opts ...RequestOption) (*Channel, error) {
	return send[Channel](ctx, c, http.MethodPost, "/channels", in, opts...)
}

// GetChannel returns a channel.
func (c *Client) GetChannel(ctx context.Context, id string) (*Channel, error) {
	return get[Channel](ctx, c, "/channels/"+id)
}

// UpdateChannel patches a channel: only the fields in patch change.
func (c *Client) UpdateChannel(ctx context.Context, id string, patch map[string]any) (*Channel, error) {
	return send[Channel](ctx, c, http.MethodPatch, "/channels/"+id, patch)
}

// ListChannels lists channels.
func (c *Client) ListChannels(ctx context.Context, o *ListOptions) (*Page[Channel], error) {
	return list[Channel](ctx, c, "/channels", o)
}

// DeleteChannel deletes a channel.
func (c *Client) DeleteChannel(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/channels/"+id, nil, nil)
}

// GetContact returns a contact.
func (c *Client) GetContact(ctx context.Context, id string) (*sb.Contact, error) {
	return get[sb.Contact](ctx, c, "/contacts/"+id)
}

// ListContacts lists contacts (filter channel_id).
func (c *Client) ListContacts(ctx context.Context, o *ListOptions) (*Page[sb.Contact], error) {
	return list[sb.Contact](ctx, c, "/contacts", o)
}

// UpdateContact patches a contact's name, email, phone or attributes.
func (c *Client) UpdateContact(ctx context.Context, id string, patch map[string]any) (*sb.Contact, error) {
	return send[sb.Contact](ctx, c, http.MethodPatch, "/contacts/"+id, patch)
}

// ConversationInput starts a conversation with a contact, named by
// ContactID or by the platform's UserID.
type ConversationInput struct {
	ChannelID string         `json:"channel_id"`
	ContactID string         `json:"contact_id,omitempty"`
	UserID    string         `json:"user_id,omitempty"`
	Metadata  map[string]any `json:"metadata,omitempty"`
}

// CreateConversation starts a conversation.
func (c *Client) CreateConversation(ctx context.Context, in ConversationInput, opts ...RequestOption) (*sb.Conversation, error) {
	return send[sb.Conversation](ctx, c, http.MethodPost, "/conversations", in, opts...)
}

// GetConversation returns a conversation.
func (c *Client) GetConversation(ctx context.Context, id string) (*sb.Conversation, error) {
	return get[sb.Conversation](ctx, c, "/conversations/"+id)
}

// UpdateConversation changes status, metadata or assignee.
func (c *Client) UpdateConversation(ctx context.Context, id string, update map[string]any) (*sb.Conversation, error) {
	return send[sb.Conversation](ctx, c, http.MethodPut, "/conversations/"+id, update)
}

// ListConversations lists conversations (filters status, channel_id,
// contact_id, bot_id).
func (c *Client) ListConversations(ctx context.Context, o *ListOptions) (*Page[sb.Conversation], error) {
	return list[sb.Conversation](ctx, c, "/conversations", o)
}

// DeleteConversation erases a conversation and its messages.
func (c *Client) DeleteConversation(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/conversations/"+id, nil, nil)
}

// SendMessage queues a message from an agent or the bot ("agent", "bot").
func (c *Client) SendMessage(ctx context.Context, conversationID, sender, text string, opts ...RequestOption) (*sb.Message, error) {
	return send[sb.Message](ctx, c, http.MethodPost, "/conversations/"+conversationID+"/messages",
		map[string]string{"text": text, "sender": sender}, opts...)
}

// SendToUser sends a proactive message to a platform user of a channel.
func (c *Client) SendToUser(ctx context.Context, channelID, userID, text string, opts ...RequestOption) (*sb.Message, error) {
	return send[sb.Message](ctx, c, http.MethodPost, "/messages",
		map[string]string{"channel_id": channelID, "user_id": userID, "text": text}, opts...)
}

// ListMessages lists a conversation's messages, newest first.
func (c *Client) ListMessages(ctx context.Context, conversationID string, o *ListOptions) (*Page[sb.Message], error) {
	return list[sb.Message](ctx, c, "/conversations/"+conversationID+"/messages", o)
}

// GetMessage returns one message of a conversation.
func (c *Client) GetMessage(ctx context.Context, conversationID, id string) (*sb.Message, error) {
	return get[sb.Message](ctx, c, "/conversations/"+conversationID+"/messages/"+id)
}

// ListEvents lists events (filters type, since).
func (c *Client) ListEvents(ctx context.Context, o *ListOptions) (*Page[sb.Event], error) {
	return list[sb.Event](ctx, c, "/events", o)
}

// GetEvent returns an event.
func (c *Client) GetEvent(ctx context.Context, id string) (*sb.Event, error) {
	return get[sb.Event](ctx, c, "/events/"+id)
}

// APIKey is an API key; Key is set only in the create response.
type APIKey struct {
	sb.APIKey
	Key string `json:"key,omitempty"`
}

// CreateAPIKey creates a key; its secret is in the result's Key, once.
func (c *Client) CreateAPIKey(ctx context.Context, name string, scopes []string) (*APIKey, error) {
	return send[APIKey](ctx, c, http.MethodPost, "/api-keys", map[string]any{"name": name, "scopes": scopes})
}

// RevokeAPIKey revokes a key.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api-keys/"+id, nil, nil)
}
