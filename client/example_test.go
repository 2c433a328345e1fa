package client_test

import (
	"context"
	"fmt"
	"os"

	"github.com/switchboardhq/switchboard/client"
)

// The conversations waiting for a person, every page of them.
func ExampleAll() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", os.Getenv("SWITCHBOARD_KEY"))
	for conv, err := range client.All(ctx, c.ListConversations, &client.ListOptions{Filter: map[string]string{"status": "handoff"}}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(conv.ID, conv.LastActivityAt)
	}
}
