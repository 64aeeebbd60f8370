// Generated from openapi.json by scripts/mcp-schemas.ts (`npm run openapi`): do not edit.
// Each tool's input schema: the parameters and body schema of its REST operation.
import type { JsonSchema } from './schema.ts';

export const inputSchemas: Record<string, JsonSchema> = {
  "list_conversations": {
    "type": "object",
    "properties": {
      "page": {
        "default": 1,
        "type": "integer",
        "minimum": 1,
        "maximum": 1000000,
        "description": "Page number, from 1.",
        "examples": [
          1
        ]
      },
      "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Items per page (default 20, max 100).",
        "examples": [
          20
        ]
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Alias of per_page.",
        "examples": [
          20
        ]
      },
      "status": {
        "type": "string",
        "enum": [
          "active",
          "snoozed",
          "closed"
        ],
        "description": "Only in this status.",
        "examples": [
          "active"
        ]
      },
      "channel": {
        "type": "string",
        "enum": [
          "whatsapp",
          "sms",
          "email",
          "voice",
          "web"
        ],
        "description": "Only on this channel.",
        "examples": [
          "whatsapp"
        ]
      },
      "assignee": {
        "type": "string",
        "pattern": "^((usr|team)_[0-9A-HJKMNP-TV-Z]{26}|none)$",
        "description": "Only assigned to this user or team (`none`: unassigned).",
        "examples": [
          "usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "tag": {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "description": "Only with this tag.",
        "examples": [
          "vip"
        ]
      },
      "contact_id": {
        "type": "string",
        "pattern": "^ct_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only with this contact.",
        "examples": [
          "ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only answered by this agent.",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "ai_paused": {
        "type": "boolean",
        "description": "Only handed off (true) or only AI-run (false)."
      },
      "q": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "Search the last message, the customer address and name.",
        "examples": [
          "refund"
        ]
      }
    },
    "additionalProperties": false
  },
  "get_conversation": {
    "type": "object",
    "properties": {
      "conversation_id": {
        "type": "string",
        "pattern": "^conv_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`conv_` prefix).",
        "examples": [
          "conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      }
    },
    "required": [
      "conversation_id"
    ],
    "additionalProperties": false
  },
  "list_messages": {
    "type": "object",
    "properties": {
      "conversation_id": {
        "type": "string",
        "pattern": "^conv_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`conv_` prefix).",
        "examples": [
          "conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "page": {
        "default": 1,
        "type": "integer",
        "minimum": 1,
        "maximum": 1000000,
        "description": "Page number, from 1.",
        "examples": [
          1
        ]
      },
      "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Items per page (default 20, max 100).",
        "examples": [
          20
        ]
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Alias of per_page.",
        "examples": [
          20
        ]
      },
      "order": {
        "type": "string",
        "enum": [
          "asc",
          "desc"
        ],
        "description": "asc: oldest first (default); desc: newest first.",
        "examples": [
          "desc"
        ]
      },
      "before": {
        "type": "string",
        "pattern": "^msg_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only messages older than this one.",
        "examples": [
          "msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "after": {
        "type": "string",
        "pattern": "^msg_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only messages newer than this one.",
        "examples": [
          "msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      }
    },
    "required": [
      "conversation_id"
    ],
    "additionalProperties": false
  },
  "reply_to_conversation": {
    "type": "object",
    "properties": {
      "conversation_id": {
        "type": "string",
        "pattern": "^conv_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`conv_` prefix).",
        "examples": [
          "conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "type": {
        "type": "string",
        "enum": [
          "text",
          "template",
          "image",
          "document",
          "audio",
          "video",
          "interactive",
          "note"
        ],
        "description": "What kind of message (see POST /v1/messages). `note` is a private note for the team: stored in the thread with `text`, never sent to the customer and never read by the AI.",
        "examples": [
          "text"
        ]
      },
      "text": {
        "type": "string",
        "maxLength": 100000,
        "description": "The text, when type is text (at most 4,096 characters; alone, it sets type text).",
        "examples": [
          "Namaste! Aapki appointment kal 3 baje confirm ho gayi hai."
        ]
      },
      "template": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "description": "Name of an approved template.",
            "examples": [
              "appointment_reminder"
            ]
          },
          "language": {
            "type": "string",
            "minLength": 2,
            "maxLength": 15,
            "description": "Language code of the template (optional when the name exists in one language only).",
            "examples": [
              "en"
            ]
          },
          "variables": {
            "anyOf": [
              {
                "maxItems": 100,
                "type": "array",
                "items": {
                  "type": [
                    "string",
                    "number"
                  ]
                }
              },
              {
                "type": "object",
                "propertyNames": {
                  "type": "string"
                },
                "additionalProperties": {
                  "type": [
                    "string",
                    "number"
                  ]
                }
              }
            ],
            "description": "Values for the placeholders: a list for `{{1}}, {{2}}...`, or an object for `{{name}}` placeholders."
          },
          "header": {
            "type": "object",
            "properties": {
              "variables": {
                "anyOf": [
                  {
                    "maxItems": 100,
                    "type": "array",
                    "items": {
                      "type": [
                        "string",
                        "number"
                      ]
                    }
                  },
                  {
                    "type": "object",
                    "propertyNames": {
                      "type": "string"
                    },
                    "additionalProperties": {
                      "type": [
                        "string",
                        "number"
                      ]
                    }
                  }
                ],
                "description": "Values for the header's placeholder: a list for `{{1}}`, or an object for `{{name}}`."
              },
              "media": {
                "type": "object",
                "properties": {
                  "url": {
                    "type": "string",
                    "maxLength": 2000,
                    "format": "uri",
                    "description": "Public https URL of the file.",
                    "examples": [
                      "https://example.com/menu.jpg"
                    ]
                  },
                  "filename": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 240,
                    "description": "File name shown for a document.",
                    "examples": [
                      "menu.pdf"
                    ]
                  }
                },
                "required": [
                  "url"
                ],
                "additionalProperties": false,
                "description": "The file of an image, video or document header."
              }
            },
            "additionalProperties": false,
            "description": "Header values: the placeholder value of a text header (for `{{name}}` templates, defaults to the body values of the same name), or the file of a media header."
          },
          "buttons": {
            "maxItems": 10,
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "index": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 9,
                  "description": "Position of the button in the template's buttons (from 0).",
                  "examples": [
                    0
                  ]
                },
                "variables": {
                  "anyOf": [
                    {
                      "maxItems": 100,
                      "type": "array",
                      "items": {
                        "type": [
                          "string",
                          "number"
                        ]
                      }
                    },
                    {
                      "type": "object",
                      "propertyNames": {
                        "type": "string"
                      },
                      "additionalProperties": {
                        "type": [
                          "string",
                          "number"
                        ]
                      }
                    }
                  ],
                  "description": "Value for the URL button's placeholder (the end of its URL)."
                }
              },
              "required": [
                "index",
                "variables"
              ],
              "additionalProperties": false
            },
            "description": "Values for URL buttons with a placeholder in their URL."
          }
        },
        "required": [
          "name"
        ],
        "additionalProperties": false,
        "description": "The template, when type is template (alone, it sets type template)."
      },
      "image": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the image.",
            "examples": [
              "https://example.com/files/image.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The image, when type is image (alone, it sets type image)."
      },
      "document": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the document.",
            "examples": [
              "https://example.com/files/document.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The document, when type is document (alone, it sets type document)."
      },
      "audio": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the audio.",
            "examples": [
              "https://example.com/files/audio.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The audio, when type is audio (alone, it sets type audio)."
      },
      "video": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the video.",
            "examples": [
              "https://example.com/files/video.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The video, when type is video (alone, it sets type video)."
      },
      "interactive": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "button",
              "list"
            ],
            "description": "Reply buttons (up to 3) or a list (up to 10 rows).",
            "examples": [
              "button"
            ]
          },
          "body": {
            "type": "string",
            "minLength": 1,
            "maxLength": 5000,
            "description": "Body text (at most 1,024 characters).",
            "examples": [
              "Which time suits you?"
            ]
          },
          "header": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "Header text (at most 60 characters).",
            "examples": [
              "Booking"
            ]
          },
          "footer": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "Footer text (at most 60 characters).",
            "examples": [
              "Glow Salon"
            ]
          },
          "buttons": {
            "maxItems": 20,
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 256,
                  "description": "Returned when the customer taps it.",
                  "examples": [
                    "slot_3pm"
                  ]
                },
                "title": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 200,
                  "description": "Button label (at most 20 characters).",
                  "examples": [
                    "3 pm"
                  ]
                }
              },
              "required": [
                "id",
                "title"
              ],
              "additionalProperties": false
            },
            "description": "Reply buttons (type button)."
          },
          "list": {
            "type": "object",
            "properties": {
              "button": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "Label of the button that opens the list (at most 20 characters).",
                "examples": [
                  "Choose a slot"
                ]
              },
              "sections": {
                "maxItems": 20,
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "title": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 200,
                      "description": "Section title (at most 24 characters).",
                      "examples": [
                        "Morning"
                      ]
                    },
                    "rows": {
                      "maxItems": 50,
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "id": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "description": "Returned when the customer picks it.",
                            "examples": [
                              "slot_10am"
                            ]
                          },
                          "title": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "description": "Row title (at most 24 characters).",
                            "examples": [
                              "10 am"
                            ]
                          },
                          "description": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 500,
                            "description": "Row description (at most 72 characters).",
                            "examples": [
                              "With Priya"
                            ]
                          }
                        },
                        "required": [
                          "id",
                          "title"
                        ],
                        "additionalProperties": false
                      },
                      "description": "Rows of the section."
                    }
                  },
                  "required": [
                    "rows"
                  ],
                  "additionalProperties": false
                },
                "description": "Sections of the list."
              }
            },
            "required": [
              "button",
              "sections"
            ],
            "additionalProperties": false,
            "description": "The list (type list)."
          }
        },
        "required": [
          "type",
          "body"
        ],
        "additionalProperties": false,
        "description": "Interactive content (WhatsApp only), when type is interactive (alone, it sets type interactive)."
      },
      "body": {
        "type": "string",
        "maxLength": 100000,
        "description": "The text of the reply, as Devotel Orbit sends it (`{\"body\": \"...\"}`): the same as `text`. Give one of `text` and `body`.",
        "examples": [
          "Thanks — I just refunded that order."
        ]
      }
    },
    "required": [
      "conversation_id"
    ],
    "additionalProperties": false
  },
  "send_message": {
    "type": "object",
    "properties": {
      "to": {
        "type": "string",
        "minLength": 3,
        "maxLength": 320,
        "description": "Recipient: a phone number (E.164, or local to the workspace's default country), or an email address for the email channel.",
        "examples": [
          "+919876543210"
        ]
      },
      "type": {
        "type": "string",
        "enum": [
          "text",
          "template",
          "image",
          "document",
          "audio",
          "video",
          "interactive"
        ],
        "description": "What kind of message. May be left out when exactly one content field (text, template, image, document, audio, video, interactive) is given: the type is that field; with several, type is required.",
        "examples": [
          "text"
        ]
      },
      "text": {
        "type": "string",
        "maxLength": 100000,
        "description": "The text, when type is text (at most 4,096 characters; alone, it sets type text).",
        "examples": [
          "Namaste! Aapki appointment kal 3 baje confirm ho gayi hai."
        ]
      },
      "template": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "description": "Name of an approved template.",
            "examples": [
              "appointment_reminder"
            ]
          },
          "language": {
            "type": "string",
            "minLength": 2,
            "maxLength": 15,
            "description": "Language code of the template (optional when the name exists in one language only).",
            "examples": [
              "en"
            ]
          },
          "variables": {
            "anyOf": [
              {
                "maxItems": 100,
                "type": "array",
                "items": {
                  "type": [
                    "string",
                    "number"
                  ]
                }
              },
              {
                "type": "object",
                "propertyNames": {
                  "type": "string"
                },
                "additionalProperties": {
                  "type": [
                    "string",
                    "number"
                  ]
                }
              }
            ],
            "description": "Values for the placeholders: a list for `{{1}}, {{2}}...`, or an object for `{{name}}` placeholders."
          },
          "header": {
            "type": "object",
            "properties": {
              "variables": {
                "anyOf": [
                  {
                    "maxItems": 100,
                    "type": "array",
                    "items": {
                      "type": [
                        "string",
                        "number"
                      ]
                    }
                  },
                  {
                    "type": "object",
                    "propertyNames": {
                      "type": "string"
                    },
                    "additionalProperties": {
                      "type": [
                        "string",
                        "number"
                      ]
                    }
                  }
                ],
                "description": "Values for the header's placeholder: a list for `{{1}}`, or an object for `{{name}}`."
              },
              "media": {
                "type": "object",
                "properties": {
                  "url": {
                    "type": "string",
                    "maxLength": 2000,
                    "format": "uri",
                    "description": "Public https URL of the file.",
                    "examples": [
                      "https://example.com/menu.jpg"
                    ]
                  },
                  "filename": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 240,
                    "description": "File name shown for a document.",
                    "examples": [
                      "menu.pdf"
                    ]
                  }
                },
                "required": [
                  "url"
                ],
                "additionalProperties": false,
                "description": "The file of an image, video or document header."
              }
            },
            "additionalProperties": false,
            "description": "Header values: the placeholder value of a text header (for `{{name}}` templates, defaults to the body values of the same name), or the file of a media header."
          },
          "buttons": {
            "maxItems": 10,
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "index": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 9,
                  "description": "Position of the button in the template's buttons (from 0).",
                  "examples": [
                    0
                  ]
                },
                "variables": {
                  "anyOf": [
                    {
                      "maxItems": 100,
                      "type": "array",
                      "items": {
                        "type": [
                          "string",
                          "number"
                        ]
                      }
                    },
                    {
                      "type": "object",
                      "propertyNames": {
                        "type": "string"
                      },
                      "additionalProperties": {
                        "type": [
                          "string",
                          "number"
                        ]
                      }
                    }
                  ],
                  "description": "Value for the URL button's placeholder (the end of its URL)."
                }
              },
              "required": [
                "index",
                "variables"
              ],
              "additionalProperties": false
            },
            "description": "Values for URL buttons with a placeholder in their URL."
          }
        },
        "required": [
          "name"
        ],
        "additionalProperties": false,
        "description": "The template, when type is template (alone, it sets type template)."
      },
      "image": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the image.",
            "examples": [
              "https://example.com/files/image.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The image, when type is image (alone, it sets type image)."
      },
      "document": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the document.",
            "examples": [
              "https://example.com/files/document.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The document, when type is document (alone, it sets type document)."
      },
      "audio": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the audio.",
            "examples": [
              "https://example.com/files/audio.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The audio, when type is audio (alone, it sets type audio)."
      },
      "video": {
        "type": "object",
        "properties": {
          "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "Public http(s) URL of the video.",
            "examples": [
              "https://example.com/files/video.bin"
            ]
          },
          "caption": {
            "type": "string",
            "maxLength": 5000,
            "description": "Caption (at most 1,024 characters; not for audio).",
            "examples": [
              "Your invoice for May"
            ]
          },
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 240,
            "description": "File name shown to the recipient (documents only).",
            "examples": [
              "invoice.pdf"
            ]
          }
        },
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "description": "The video, when type is video (alone, it sets type video)."
      },
      "interactive": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "button",
              "list"
            ],
            "description": "Reply buttons (up to 3) or a list (up to 10 rows).",
            "examples": [
              "button"
            ]
          },
          "body": {
            "type": "string",
            "minLength": 1,
            "maxLength": 5000,
            "description": "Body text (at most 1,024 characters).",
            "examples": [
              "Which time suits you?"
            ]
          },
          "header": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "Header text (at most 60 characters).",
            "examples": [
              "Booking"
            ]
          },
          "footer": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "Footer text (at most 60 characters).",
            "examples": [
              "Glow Salon"
            ]
          },
          "buttons": {
            "maxItems": 20,
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 256,
                  "description": "Returned when the customer taps it.",
                  "examples": [
                    "slot_3pm"
                  ]
                },
                "title": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 200,
                  "description": "Button label (at most 20 characters).",
                  "examples": [
                    "3 pm"
                  ]
                }
              },
              "required": [
                "id",
                "title"
              ],
              "additionalProperties": false
            },
            "description": "Reply buttons (type button)."
          },
          "list": {
            "type": "object",
            "properties": {
              "button": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "Label of the button that opens the list (at most 20 characters).",
                "examples": [
                  "Choose a slot"
                ]
              },
              "sections": {
                "maxItems": 20,
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "title": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 200,
                      "description": "Section title (at most 24 characters).",
                      "examples": [
                        "Morning"
                      ]
                    },
                    "rows": {
                      "maxItems": 50,
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "id": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "description": "Returned when the customer picks it.",
                            "examples": [
                              "slot_10am"
                            ]
                          },
                          "title": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "description": "Row title (at most 24 characters).",
                            "examples": [
                              "10 am"
                            ]
                          },
                          "description": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 500,
                            "description": "Row description (at most 72 characters).",
                            "examples": [
                              "With Priya"
                            ]
                          }
                        },
                        "required": [
                          "id",
                          "title"
                        ],
                        "additionalProperties": false
                      },
                      "description": "Rows of the section."
                    }
                  },
                  "required": [
                    "rows"
                  ],
                  "additionalProperties": false
                },
                "description": "Sections of the list."
              }
            },
            "required": [
              "button",
              "sections"
            ],
            "additionalProperties": false,
            "description": "The list (type list)."
          }
        },
        "required": [
          "type",
          "body"
        ],
        "additionalProperties": false,
        "description": "Interactive content (WhatsApp only), when type is interactive (alone, it sets type interactive)."
      },
      "channel": {
        "type": "string",
        "enum": [
          "whatsapp",
          "sms",
          "email",
          "voice"
        ],
        "description": "Channel to send on (default whatsapp). Voice is not available as a messaging channel in this version (422 channel_not_configured).",
        "examples": [
          "whatsapp"
        ]
      },
      "from": {
        "type": "string",
        "minLength": 3,
        "maxLength": 320,
        "description": "The channel's own address to send from, when the workspace has several.",
        "examples": [
          "+14155550123"
        ]
      },
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Send from this agent's channel; the conversation is bound to the agent.",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "ignore_dnd": {
        "type": "boolean",
        "description": "Send a business-initiated message even to a contact on do-not-disturb (never to one who opted out).",
        "examples": [
          false
        ]
      }
    },
    "required": [
      "to"
    ],
    "additionalProperties": false
  },
  "list_templates": {
    "type": "object",
    "properties": {
      "page": {
        "default": 1,
        "type": "integer",
        "minimum": 1,
        "maximum": 1000000,
        "description": "Page number, from 1.",
        "examples": [
          1
        ]
      },
      "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Items per page (default 20, max 100).",
        "examples": [
          20
        ]
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Alias of per_page.",
        "examples": [
          20
        ]
      },
      "status": {
        "type": "string",
        "enum": [
          "pending",
          "approved",
          "rejected",
          "paused"
        ],
        "description": "Only templates in this status.",
        "examples": [
          "approved"
        ]
      },
      "name": {
        "type": "string",
        "minLength": 1,
        "maxLength": 512,
        "description": "Only templates of this name.",
        "examples": [
          "appointment_reminder"
        ]
      },
      "language": {
        "type": "string",
        "minLength": 2,
        "maxLength": 15,
        "description": "Only templates in this language.",
        "examples": [
          "en"
        ]
      },
      "category": {
        "type": "string",
        "enum": [
          "marketing",
          "utility",
          "authentication"
        ],
        "description": "Only templates of this category.",
        "examples": [
          "utility"
        ]
      }
    },
    "additionalProperties": false
  },
  "hand_off_conversation": {
    "type": "object",
    "properties": {
      "conversation_id": {
        "type": "string",
        "pattern": "^conv_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`conv_` prefix).",
        "examples": [
          "conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "reason": {
        "type": "string",
        "minLength": 1,
        "maxLength": 500,
        "description": "Why a person should take over.",
        "examples": [
          "Customer asks for a refund"
        ]
      },
      "assign_to": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "user",
              "team"
            ],
            "description": "User or team.",
            "examples": [
              "team"
            ]
          },
          "id": {
            "type": "string",
            "pattern": "^(usr|team)_[0-9A-HJKMNP-TV-Z]{26}$",
            "description": "Its id.",
            "examples": [
              "team_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
            ]
          }
        },
        "required": [
          "type",
          "id"
        ],
        "additionalProperties": false,
        "description": "Assign it at the same time."
      }
    },
    "required": [
      "conversation_id",
      "reason"
    ],
    "additionalProperties": false
  },
  "hand_back_conversation": {
    "type": "object",
    "properties": {
      "conversation_id": {
        "type": "string",
        "pattern": "^conv_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`conv_` prefix).",
        "examples": [
          "conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      }
    },
    "required": [
      "conversation_id"
    ],
    "additionalProperties": false
  },
  "list_contacts": {
    "type": "object",
    "properties": {
      "page": {
        "default": 1,
        "type": "integer",
        "minimum": 1,
        "maximum": 1000000,
        "description": "Page number, from 1.",
        "examples": [
          1
        ]
      },
      "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Items per page (default 20, max 100).",
        "examples": [
          20
        ]
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Alias of per_page.",
        "examples": [
          20
        ]
      },
      "q": {
        "type": "string",
        "maxLength": 200,
        "description": "Search in name, email and phone (case-insensitive substring).",
        "examples": [
          "asha"
        ]
      },
      "tag": {
        "type": "array",
        "items": {
          "type": "string",
          "minLength": 1
        },
        "description": "Only contacts carrying every one of these tags (comma-separated or repeated)."
      },
      "dnd": {
        "type": "boolean",
        "description": "Only contacts with this do-not-disturb flag."
      },
      "opted_out": {
        "type": "boolean",
        "description": "Only contacts with this opt-out flag."
      }
    },
    "additionalProperties": false
  },
  "get_contact": {
    "type": "object",
    "properties": {
      "contact_id": {
        "type": "string",
        "pattern": "^ct_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`ct_` prefix).",
        "examples": [
          "ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      }
    },
    "required": [
      "contact_id"
    ],
    "additionalProperties": false
  },
  "create_contact": {
    "type": "object",
    "properties": {
      "phone": {
        "type": "string",
        "maxLength": 40,
        "description": "Phone number, E.164 or local to the workspace's default country; stored in E.164.",
        "examples": [
          "+919876543210"
        ]
      },
      "name": {
        "type": "string",
        "maxLength": 200,
        "description": "Full name.",
        "examples": [
          "Asha Rao"
        ]
      },
      "email": {
        "type": "string",
        "maxLength": 254,
        "description": "Email address.",
        "examples": [
          "asha@example.com"
        ]
      },
      "attributes": {
        "type": "object",
        "propertyNames": {
          "type": "string",
          "pattern": "^[A-Za-z0-9_-]{1,64}$"
        },
        "additionalProperties": {
          "anyOf": [
            {
              "anyOf": [
                {
                  "type": "string",
                  "maxLength": 2000
                },
                {
                  "type": "number"
                },
                {
                  "type": "boolean"
                }
              ]
            },
            {
              "type": "null"
            }
          ]
        },
        "description": "Free-form attributes (string, number or boolean values). On update, keys merge and a null value removes the key.",
        "examples": [
          {
            "plan": "premium",
            "visits": 3,
            "vip": true
          }
        ]
      },
      "tags": {
        "maxItems": 100,
        "type": "array",
        "items": {
          "type": "string",
          "minLength": 1,
          "maxLength": 100
        },
        "description": "Tags (replaces the list on update).",
        "examples": [
          [
            "vip",
            "diwali-2026"
          ]
        ]
      },
      "dnd": {
        "type": "boolean",
        "description": "Do not disturb: no business-initiated messages or calls.",
        "examples": [
          false
        ]
      },
      "opted_out": {
        "type": "boolean",
        "description": "The contact opted out (e.g. replied STOP): no business-initiated messages.",
        "examples": [
          false
        ]
      }
    },
    "additionalProperties": false
  },
  "list_agents": {
    "type": "object",
    "properties": {
      "page": {
        "default": 1,
        "type": "integer",
        "minimum": 1,
        "maximum": 1000000,
        "description": "Page number, from 1.",
        "examples": [
          1
        ]
      },
      "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Items per page (default 20, max 100).",
        "examples": [
          20
        ]
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Alias of per_page.",
        "examples": [
          20
        ]
      },
      "status": {
        "type": "string",
        "enum": [
          "active",
          "paused"
        ],
        "description": "Only agents with this status.",
        "examples": [
          "active"
        ]
      }
    },
    "additionalProperties": false
  },
  "search_knowledge": {
    "type": "object",
    "properties": {
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`agt_` prefix).",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "query": {
        "type": "string",
        "minLength": 1,
        "maxLength": 2000,
        "description": "What to look for, in the customer's words.",
        "examples": [
          "are you open on sunday"
        ]
      },
      "top_k": {
        "default": 5,
        "type": "integer",
        "minimum": 1,
        "maximum": 50,
        "description": "How many passages to return (default 5).",
        "examples": [
          5
        ]
      }
    },
    "required": [
      "agent_id",
      "query"
    ],
    "additionalProperties": false
  },
  "push_knowledge": {
    "type": "object",
    "properties": {
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`agt_` prefix).",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "title": {
        "type": "string",
        "minLength": 1,
        "maxLength": 300,
        "description": "Title of the document (default: the page title, file name or first line).",
        "examples": [
          "Prices and timings"
        ]
      },
      "doc_type": {
        "default": "text",
        "type": "string",
        "enum": [
          "text",
          "faq",
          "markdown",
          "url",
          "file"
        ],
        "description": "`text` and `markdown` are indexed as given (split at headings and paragraphs); `faq` takes `faqs` or \"Q: ... A: ...\" pairs in `content`; `url` fetches the page at `url` and keeps its text; `file` reads `file` (a PDF or a text file, base64) — or upload it with multipart to `/knowledge/upload`.",
        "examples": [
          "markdown"
        ]
      },
      "content": {
        "type": "string",
        "maxLength": 30000000,
        "description": "The document text (text, markdown, faq).",
        "examples": [
          "# Timings\nMon–Sat 10am–7pm. Closed on Sunday."
        ]
      },
      "faqs": {
        "minItems": 1,
        "maxItems": 2000,
        "type": "array",
        "items": {
          "type": "object",
          "properties": {
            "question": {
              "type": "string",
              "minLength": 1,
              "maxLength": 2000,
              "description": "The question as a customer would ask it.",
              "examples": [
                "Are you open on Sunday?"
              ]
            },
            "answer": {
              "type": "string",
              "minLength": 1,
              "maxLength": 10000,
              "description": "The answer the agent gives.",
              "examples": [
                "No, we are closed on Sundays."
              ]
            }
          },
          "required": [
            "question",
            "answer"
          ],
          "additionalProperties": false
        },
        "description": "Question and answer pairs (faq); each pair becomes one passage.",
        "examples": [
          [
            {
              "question": "Are you open on Sunday?",
              "answer": "No, we are closed on Sundays."
            }
          ]
        ]
      },
      "url": {
        "type": "string",
        "maxLength": 2000,
        "pattern": "^https?:\\/\\/",
        "description": "The page to fetch (url). Fetched once, with a 10 s timeout and a 5 MB cap.",
        "examples": [
          "https://glowsalon.example/faq"
        ]
      },
      "file": {
        "type": "object",
        "properties": {
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 300,
            "description": "File name, e.g. menu.pdf.",
            "examples": [
              "price-list.pdf"
            ]
          },
          "content_base64": {
            "type": "string",
            "minLength": 1,
            "description": "The file bytes, base64.",
            "examples": [
              "JVBERi0xLjQK..."
            ]
          }
        },
        "required": [
          "filename",
          "content_base64"
        ],
        "additionalProperties": false,
        "description": "The file (file): a PDF or a UTF-8 text, markdown or HTML file."
      }
    },
    "required": [
      "agent_id",
      "title"
    ],
    "additionalProperties": false
  },
  "check_availability": {
    "type": "object",
    "properties": {
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`agt_` prefix).",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "date": {
        "type": "string",
        "description": "The day, in the business timezone (default: today there).",
        "examples": [
          "2026-05-11"
        ]
      },
      "service_id": {
        "type": "string",
        "pattern": "^svc_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "The service to fit (its duration); default 30 minutes.",
        "examples": [
          "svc_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      }
    },
    "required": [
      "agent_id"
    ],
    "additionalProperties": false
  },
  "book_appointment": {
    "type": "object",
    "properties": {
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "The agent whose business is booked (its hours, services and calendar).",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "service_id": {
        "type": "string",
        "pattern": "^svc_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "One of the agent's services; sets the length. Required unless `end_at` is given.",
        "examples": [
          "svc_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "start_at": {
        "type": "string",
        "format": "date-time",
        "pattern": "^(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|([+-](?:[01]\\d|2[0-3]):[0-5]\\d)))$",
        "description": "When the appointment starts (any offset; stored in UTC). Must be in the future, within opening hours.",
        "examples": [
          "2026-05-11T09:30:00Z"
        ]
      },
      "end_at": {
        "type": "string",
        "format": "date-time",
        "pattern": "^(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|([+-](?:[01]\\d|2[0-3]):[0-5]\\d)))$",
        "description": "When it ends; only without a service (with one, the service duration decides).",
        "examples": [
          "2026-05-11T10:15:00Z"
        ]
      },
      "contact_id": {
        "type": "string",
        "pattern": "^ct_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Who the booking is for.",
        "examples": [
          "ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "phone": {
        "type": "string",
        "minLength": 3,
        "maxLength": 40,
        "description": "Who the booking is for, by phone, when there is no contact_id: the contact is found or created.",
        "examples": [
          "+919876543210"
        ]
      },
      "name": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "Name for a contact created from `phone`.",
        "examples": [
          "Asha Rao"
        ]
      },
      "conversation_id": {
        "type": "string",
        "pattern": "^conv_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "The conversation the booking was made in (gives the contact when none is given).",
        "examples": [
          "conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "notes": {
        "type": "string",
        "maxLength": 2000,
        "description": "Free text for the business.",
        "examples": [
          "Prefers Priya as stylist"
        ]
      }
    },
    "required": [
      "agent_id",
      "start_at"
    ],
    "additionalProperties": false
  },
  "place_call": {
    "type": "object",
    "properties": {
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "The agent that talks on the call.",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "voice_flow_id": {
        "type": "string",
        "pattern": "^vf_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "A voice flow to run instead of an agent.",
        "examples": [
          "vf_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "to": {
        "type": "string",
        "minLength": 3,
        "maxLength": 32,
        "description": "The number to call (E.164, or national for the workspace's default country). Omit for a web call.",
        "examples": [
          "+14155550100"
        ]
      },
      "from": {
        "type": "string",
        "minLength": 3,
        "maxLength": 32,
        "description": "Call from this voice channel number.",
        "examples": [
          "+14155550999"
        ]
      },
      "channel_id": {
        "type": "string",
        "pattern": "^ch_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Call through this voice channel.",
        "examples": [
          "ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "transport": {
        "type": "string",
        "enum": [
          "phone",
          "web"
        ],
        "description": "`phone` dials `to` through the channel's carrier (the sandbox callee in test mode); `web` waits for a client to join over the media WebSocket. Default: phone when `to` is given, else web.",
        "examples": [
          "phone"
        ]
      },
      "dynamic_variables": {
        "type": "object",
        "propertyNames": {
          "type": "string"
        },
        "additionalProperties": {
          "type": [
            "string",
            "number",
            "boolean",
            "null"
          ]
        },
        "description": "Values for {{placeholders}} in the agent's greeting and instructions.",
        "examples": [
          {
            "plan": "premium"
          }
        ]
      },
      "ignore_dnd": {
        "type": "boolean",
        "description": "Call a contact on do-not-disturb (transactional or service calls); never one who opted out.",
        "examples": [
          false
        ]
      },
      "identifier": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "Your own reference, filterable.",
        "examples": [
          "crm-lead-4412"
        ]
      },
      "sandbox": {
        "type": "object",
        "properties": {
          "outcome": {
            "type": "string",
            "enum": [
              "answer",
              "busy",
              "no_answer",
              "voicemail",
              "invalid"
            ],
            "description": "What the simulated callee does (default: from the number's last digit: 1 busy, 2 no answer, 3 voicemail, 4 invalid, else answer).",
            "examples": [
              "answer"
            ]
          },
          "lines": {
            "maxItems": 50,
            "type": "array",
            "items": {
              "anyOf": [
                {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 1000,
                  "description": "A line the callee says, in its turn.",
                  "examples": [
                    "Hi, I want to book a haircut."
                  ]
                },
                {
                  "type": "object",
                  "properties": {
                    "text": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 1000,
                      "description": "What the callee says.",
                      "examples": [
                        "Actually, wait"
                      ]
                    },
                    "after_ms": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 60000,
                      "description": "How long the callee waits before saying it: after the agent stops (or, for barge_in, after the agent starts) talking.",
                      "examples": [
                        300
                      ]
                    },
                    "barge_in": {
                      "type": "boolean",
                      "description": "Said while the agent is talking (cuts in).",
                      "examples": [
                        true
                      ]
                    }
                  },
                  "required": [
                    "text"
                  ],
                  "additionalProperties": false
                },
                {
                  "type": "object",
                  "properties": {
                    "dtmf": {
                      "type": "string",
                      "pattern": "^[0-9*#]{1,20}$",
                      "description": "Keys the callee presses.",
                      "examples": [
                        "1"
                      ]
                    }
                  },
                  "required": [
                    "dtmf"
                  ],
                  "additionalProperties": false
                }
              ]
            },
            "description": "What the callee says, one line per turn (default: a short greeting), then silence.",
            "examples": [
              [
                "Hi, what time do you open tomorrow?",
                {
                  "text": "haan",
                  "barge_in": true
                },
                {
                  "dtmf": "1"
                }
              ]
            ]
          },
          "hangup_after_lines": {
            "type": "boolean",
            "description": "The callee hangs up once the agent has answered its last line.",
            "examples": [
              false
            ]
          }
        },
        "additionalProperties": false,
        "description": "Test mode only: the simulated callee (SPEC section 6)."
      }
    },
    "additionalProperties": false
  },
  "get_call": {
    "type": "object",
    "properties": {
      "call_id": {
        "type": "string",
        "pattern": "^call_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Identifier (`call_` prefix).",
        "examples": [
          "call_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      }
    },
    "required": [
      "call_id"
    ],
    "additionalProperties": false
  },
  "list_calls": {
    "type": "object",
    "properties": {
      "page": {
        "default": 1,
        "type": "integer",
        "minimum": 1,
        "maximum": 1000000,
        "description": "Page number, from 1.",
        "examples": [
          1
        ]
      },
      "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Items per page (default 20, max 100).",
        "examples": [
          20
        ]
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Alias of per_page.",
        "examples": [
          20
        ]
      },
      "status": {
        "type": "string",
        "enum": [
          "queued",
          "dialing",
          "ringing",
          "in_progress",
          "completed",
          "busy",
          "no_answer",
          "failed",
          "canceled",
          "voicemail"
        ],
        "description": "Only in this status.",
        "examples": [
          "in_progress"
        ]
      },
      "agent_id": {
        "type": "string",
        "pattern": "^agt_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only with this agent.",
        "examples": [
          "agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "contact_id": {
        "type": "string",
        "pattern": "^ct_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only to this contact.",
        "examples": [
          "ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "campaign_id": {
        "type": "string",
        "pattern": "^cmp_[0-9A-HJKMNP-TV-Z]{26}$",
        "description": "Only of this campaign.",
        "examples": [
          "cmp_01JD5Z8Q4X3N2M1K0H9G8F7E6D"
        ]
      },
      "identifier": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "Only with this identifier.",
        "examples": [
          "crm-lead-4412"
        ]
      },
      "direction": {
        "type": "string",
        "enum": [
          "inbound",
          "outbound"
        ],
        "description": "Only this direction.",
        "examples": [
          "outbound"
        ]
      }
    },
    "additionalProperties": false
  }
};
