import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { ACCOUNTANT, AUDITOR, customer } from '../test/sales'
import { callsOf, commands, wireError } from '../test/tauri'
import CustomersPage from './CustomersPage.svelte'

const LIST = [
  customer(),
  customer({ id: 'cu-2', number: 'C-00002', name: 'Mama Njeri', kra_pin: null, customer_type: 'b2c', email: null, credit_limit: null }),
]

describe('CustomersPage', () => {
  it('lists customers with their PIN, type and credit limit', async () => {
    commands({ customers_list: () => LIST })
    app.session = ACCOUNTANT
    render(CustomersPage)
    const acme = await found('#customers-table tr[data-customer="C-00001"]')
    const cells = [...acme.querySelectorAll('td')].map((td) => td.textContent!.trim())
    expect(cells.slice(0, 8)).toEqual([
      'C-00001',
      'Acme Hardware Ltd',
      'P051234567X',
      'Business',
      'accounts@acme.co.ke',
      '0712345678',
      '500,000.00',
      'Active',
    ])
    expect(document.querySelector('tr[data-customer="C-00002"]')!.textContent).toContain('Consumer')

    await fireEvent.input(document.getElementById('customers-search')!, { target: { value: 'P0512' } })
    await waitFor(() => expect(callsOf('customers_list').at(-1)!.query).toEqual({ search: 'P0512', include_inactive: false, limit: 1000 }))
  })

  it("shows the core's error inline, next to the field it is about", async () => {
    commands({
      customers_list: () => LIST,
      customer_add: () => {
        throw wireError(
          'conflict',
          'KRA PIN P051234567X already belongs to customer C-00001 Acme Hardware Ltd. Use that customer, or correct the PIN.',
        )
      },
    })
    app.session = ACCOUNTANT
    render(CustomersPage)
    await fireEvent.click(await found('#add-customer'))
    await fireEvent.input(document.getElementById('customer-name')!, { target: { value: 'Acme Hardware (Thika)' } })
    await fireEvent.input(document.getElementById('customer-pin')!, { target: { value: 'p051234567x' } })
    await fireEvent.input(document.getElementById('customer-credit-limit')!, { target: { value: '250,000' } })
    await fireEvent.click(document.getElementById('customer-save')!)
    const error = await found('#customer-form-error')
    expect(error.textContent).toContain('already belongs to customer C-00001')
    // Under the PIN field, which is marked; the form stays open with what was typed.
    expect(error.closest('label')!.querySelector('#customer-pin')).not.toBeNull()
    expect(document.getElementById('customer-pin')!.getAttribute('aria-invalid')).toBe('true')
    expect((document.getElementById('customer-name') as HTMLInputElement).value).toBe('Acme Hardware (Thika)')
    expect(callsOf('customer_add')[0].customer).toEqual({
      name: 'Acme Hardware (Thika)',
      kra_pin: 'p051234567x',
      customer_type: null,
      email: null,
      mobile: null,
      address: null,
      credit_limit: '250000',
    })
  })

  it('adds, edits and deactivates a customer', async () => {
    commands({
      customers_list: () => LIST,
      customer_add: ({ customer: c }) => customer({ id: 'cu-3', number: 'C-00003', ...(c as object), credit_limit: null }),
      customer_edit: ({ customer: c }) => customer({ ...(c as object), credit_limit: null }),
      customer_set_active: () => customer({ active: false }),
    })
    app.session = ACCOUNTANT
    render(CustomersPage)
    await fireEvent.click(await found('#add-customer'))
    await fireEvent.input(document.getElementById('customer-name')!, { target: { value: 'Zawadi Bakery' } })
    await fireEvent.click(document.getElementById('customer-save')!)
    await found('tr[data-customer="C-00003"]')
    expect(document.getElementById('customers-notice')!.textContent).toBe('Zawadi Bakery added as C-00003.')

    await fireEvent.click(document.querySelector('button[data-edit="C-00001"]')!)
    expect((document.getElementById('customer-email') as HTMLInputElement).value).toBe('accounts@acme.co.ke')
    await fireEvent.input(document.getElementById('customer-name')!, { target: { value: 'Acme Hardware Limited' } })
    await fireEvent.click(document.getElementById('customer-save')!)
    await waitFor(() => expect(callsOf('customer_edit')).toHaveLength(1))
    expect(callsOf('customer_edit')[0].key).toBe('C-00001')

    await fireEvent.click(await found('button[data-deactivate="C-00001"]'))
    await waitFor(() => expect(document.querySelector('tr[data-customer="C-00001"]')).toBeNull())
    expect(callsOf('customer_set_active')).toEqual([{ key: 'C-00001', active: false }])
  })

  it('imports a file by path and reports a refusal with its rows', async () => {
    commands({
      customers_list: () => LIST,
      customers_import: () => {
        throw wireError('invalid_input', "Nothing was imported: 1 row(s) of the customer file need fixing.\nline 3: KRA PIN 'X1' is not valid.")
      },
    })
    app.session = ACCOUNTANT
    render(CustomersPage)
    await fireEvent.click(await found('#import-customers'))
    await fireEvent.input(document.getElementById('customers-import-path')!, { target: { value: '/home/grace/customers.csv' } })
    await fireEvent.click(document.getElementById('customers-import-submit')!)
    expect((await found('#customers-import-error')).textContent).toContain('line 3')
    expect(callsOf('customers_import')).toEqual([{ path: '/home/grace/customers.csv' }])
  })

  it('lists what an import noticed: cells that start like a formula, float noise rounded', async () => {
    commands({
      customers_list: () => LIST,
      customers_import: () => ({
        added: 2,
        warnings: [{ line: 3, message: "name starts with '=': kept as text" }],
      }),
    })
    app.session = ACCOUNTANT
    render(CustomersPage)
    await fireEvent.click(await found('#import-customers'))
    await fireEvent.input(document.getElementById('customers-import-path')!, { target: { value: '/home/grace/customers.csv' } })
    await fireEvent.click(document.getElementById('customers-import-submit')!)
    expect((await found('#customers-import-result')).textContent).toContain('2 customers added')
    const warnings = [...document.querySelectorAll('#customers-import-warnings li')].map((li) => li.textContent)
    expect(warnings).toEqual(["Line 3: name starts with '=': kept as text"])
  })

  it('is read-only for an auditor', async () => {
    commands({ customers_list: () => LIST })
    app.session = AUDITOR
    render(CustomersPage)
    await found('#customers-table tr[data-customer="C-00001"]')
    expect(document.getElementById('add-customer')).toBeNull()
    expect(document.getElementById('import-customers')).toBeNull()
    expect(document.querySelector('button[data-edit]')).toBeNull()
    expect(document.querySelector('button[data-deactivate]')).toBeNull()
  })
})
