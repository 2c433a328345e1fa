package sbclient

// Bodies builds request bodies through the generated union helpers: a
// per-engine or per-type body is set with From… (which writes the
// discriminator) and read back with ValueByDiscriminator; a conversation
// names its person by contact or by platform user.
func Bodies() ([]any, error) {
	var bot CreateBotRequest
	err := bot.FromCreateWebhookBotRequest(CreateWebhookBotRequest{
		Name:   "Order bot",
		Config: WebhookBotConfig{Url: "https://bots.example.com/switchboard"},
	})
	if err != nil {
		return nil, err
	}
	token := "123456:ABC" // write-only settings are pointers: responses never carry them
	var channel CreateChannelRequest
	err = channel.FromCreateTelegramChannelRequest(CreateTelegramChannelRequest{
		Name:   "Support bot",
		Config: TelegramChannelConfig{BotToken: &token},
	})
	if err != nil {
		return nil, err
	}
	typed, err := channel.ValueByDiscriminator()
	if err != nil {
		return nil, err
	}
	metadata := map[string]interface{}{"order_id": "1042"}
	var conversation CreateConversationRequest
	err = conversation.FromCreateConversationWithUserRequest(CreateConversationWithUserRequest{
		ChannelId: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
		UserId:    "u-42",
		Metadata:  &metadata,
	})
	if err != nil {
		return nil, err
	}
	return []any{bot, typed, conversation}, nil
}
