"""Put-away of received stock to storage, by customer and SKU."""
